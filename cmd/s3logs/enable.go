package main

import "context"

// runEnable is not built yet; its issue replaces this file.
func runEnable(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
