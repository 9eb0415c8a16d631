package pipeline

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// FallbackMaxMemory is DefaultMaxMemory's answer outside a memory-limited
// cgroup: 4 GiB.
const FallbackMaxMemory int64 = 4 << 30

// DefaultMaxMemory returns the memory a run may use by default: the
// memory limit of the process's cgroup (v2 memory.max or v1
// memory.limit_in_bytes, the smallest along its path), which is what a
// Kubernetes pod's or a container's limit becomes, else
// FallbackMaxMemory. source says which.
func DefaultMaxMemory() (limit int64, source string) {
	if n, ok := cgroupMemoryLimit(os.DirFS("/")); ok {
		return n, "cgroup memory limit"
	}
	return FallbackMaxMemory, "default"
}

// RuntimeMemoryLimit returns the Go runtime memory limit
// (debug.SetMemoryLimit) for a process that must stay under maxMemory of
// resident memory: an eighth less, and 32 MiB less again for what the
// runtime does not count (the program's own code and data).
func RuntimeMemoryLimit(maxMemory int64) int64 {
	return max(maxMemory/2, maxMemory-maxMemory/8-32<<20)
}

// unlimited is the smallest cgroup v1 value that means no limit (the v1
// kernel writes a page-aligned LONG_MAX).
const unlimited = 1 << 62

// cgroupMemoryLimit reads the memory limit of the process's cgroup from
// root (the file system root): the smallest limit on the path from its
// cgroup up to the hierarchy's root, in v2 or v1 layout.
func cgroupMemoryLimit(root fs.FS) (int64, bool) {
	data, err := fs.ReadFile(root, "proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	best, found := int64(0), false
	take := func(file string) {
		b, err := fs.ReadFile(root, file)
		if err != nil {
			return
		}
		s := string(bytes.TrimSpace(b))
		if s == "max" {
			return
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= unlimited {
			return
		}
		if !found || n < best {
			best, found = n, true
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir, file = "sys/fs/cgroup", "memory.max"
		case hasController(parts[1], "memory"):
			dir, file = "sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		// Inside a cgroup namespace the path may not exist under the
		// mount (which is then the process's own cgroup): the mount's
		// root file still holds the limit.
		p := strings.Trim(parts[2], "/")
		for {
			take(path.Join(dir, p, file))
			if p == "" || p == "." {
				break
			}
			p = path.Dir(p)
			if p == "." {
				p = ""
			}
		}
	}
	return best, found
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}
