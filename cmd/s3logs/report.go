package main

import "context"

// runReport is not built yet; its issue replaces this file.
func runReport(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
