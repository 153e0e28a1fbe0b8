// Scenario: a Go plugin (-buildmode=plugin) whose Answer comes from example.com/shared v1.0.0. Its
// go.mod requires v1.0.0 and builds it from vendor/ (broken: the module itself, not the host's
// patched copy); go.fixed.mod adds the host's replace, built with -mod=mod (fixed).
package main

import "example.com/shared"

// Answer is what the host looks up: shared.Answer of the copy the plugin was built with.
func Answer() int { return shared.Answer() }
