//go:build unix

package pipeline

import (
	"os"
	"syscall"
)

// openFileRoom returns how many more files the process may open: its
// soft RLIMIT_NOFILE less the files open now.
func openFileRoom() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<20 {
		return 1 << 20
	}
	open := 16 // a guess where /proc is missing
	if f, err := os.Open("/proc/self/fd"); err == nil {
		names, _ := f.Readdirnames(-1)
		f.Close()
		open = len(names) - 1 // less the directory itself
	}
	return int(rl.Cur) - open
}
