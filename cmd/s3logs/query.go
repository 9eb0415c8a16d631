package main

import "context"

// runQuery is not built yet; its issue replaces this file.
func runQuery(ctx context.Context, e *env, args []string) error {
	return errNotYet
}
