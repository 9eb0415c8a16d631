package main

import "context"

// runGen is not built yet; its issue replaces this file.
func runGen(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
