//go:build !unix

package pipeline

// openFileRoom returns how many more files the process may open: where
// there is no RLIMIT_NOFILE (Windows), no cap.
func openFileRoom() int { return 1 << 20 }
