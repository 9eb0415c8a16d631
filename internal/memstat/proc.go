package memstat

import (
	"os"
	"strconv"
	"strings"
)

// ProcStatus returns, in bytes, the "kB" field name (such as "VmHWM", the
// peak resident set, or "RssFile") of the /proc status file at path
// ("/proc/self/status", "/proc/PID/status"), or 0 where it cannot be read:
// a process that has exited, or a system without /proc.
func ProcStatus(path, name string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
