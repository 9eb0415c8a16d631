package pipeline

import (
	"testing"
	"testing/fstest"
)

func TestCgroupMemoryLimit(t *testing.T) {
	f := func(name string, files map[string]string, want int64, ok bool) {
		t.Helper()
		fsys := fstest.MapFS{}
		for k, v := range files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		got, found := cgroupMemoryLimit(fsys)
		if found != ok || got != want {
			t.Errorf("%s: %d, %v; want %d, %v", name, got, found, want, ok)
		}
	}
	f("v2 pod", map[string]string{
		"proc/self/cgroup":                          "0::/kubepods/pod1/c1\n",
		"sys/fs/cgroup/kubepods/pod1/c1/memory.max": "max\n",
		"sys/fs/cgroup/kubepods/pod1/memory.max":    "1073741824\n",
		"sys/fs/cgroup/kubepods/memory.max":         "8589934592\n",
	}, 1<<30, true)
	f("v2 namespaced: the mount is the process's cgroup", map[string]string{
		"proc/self/cgroup":         "0::/\n",
		"sys/fs/cgroup/memory.max": "536870912\n",
	}, 512<<20, true)
	f("v2 unlimited", map[string]string{
		"proc/self/cgroup":         "0::/user.slice\n",
		"sys/fs/cgroup/memory.max": "max\n",
	}, 0, false)
	f("v1", map[string]string{
		"proc/self/cgroup": "5:cpuacct,cpu:/docker/abc\n4:memory:/docker/abc\n",
		"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "2147483648\n",
		"sys/fs/cgroup/memory/memory.limit_in_bytes":            "9223372036854771712\n",
	}, 2<<30, true)
	f("v1 path not visible, root unlimited", map[string]string{
		"proc/self/cgroup":                           "4:memory:/process_api/x\n",
		"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
	}, 0, false)
	f("no proc", map[string]string{}, 0, false)
}

func TestRuntimeMemoryLimit(t *testing.T) {
	if got := RuntimeMemoryLimit(512 << 20); got != 416<<20 {
		t.Errorf("RuntimeMemoryLimit(512 MiB) = %d MiB", got>>20)
	}
	if got := RuntimeMemoryLimit(64 << 20); got != 32<<20 {
		t.Errorf("RuntimeMemoryLimit(64 MiB) = %d MiB", got>>20)
	}
}

func TestCapOpenFiles(t *testing.T) {
	f := func(c, l, room, wantC, wantL int) {
		t.Helper()
		if gc, gl := capOpenFiles(c, l, room); gc != wantC || gl != wantL {
			t.Errorf("capOpenFiles(%d, %d, %d) = %d, %d; want %d, %d", c, l, room, gc, gl, wantC, wantL)
		}
	}
	f(64, 16, 1000, 64, 16)
	f(256, 16, 40, 35, 5)
	f(256, 16, 3, 2, 1)
	f(256, 16, -5, 1, 1)
}
