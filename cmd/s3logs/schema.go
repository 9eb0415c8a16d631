package main

import "context"

// runSchema is not built yet; its issue replaces this file.
func runSchema(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
