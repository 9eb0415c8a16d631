package main

import "context"

// runConvert is not built yet; its issue replaces this file.
func runConvert(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
