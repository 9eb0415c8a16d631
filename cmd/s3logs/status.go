package main

import "context"

// runStatus is not built yet; its issue replaces this file.
func runStatus(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
