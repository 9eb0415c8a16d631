package main

import "context"

// runBench is not built yet; its issue replaces this file.
func runBench(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
