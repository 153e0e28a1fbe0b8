// Scenario: a Go plugin whose Answer comes from example.com/shared: built with go.broken.mod
// (v1.1.0) the host refuses it; with go.mod (v1.0.0, the host's) it loads, under a new plugin path.
package main

import "example.com/shared"

// Answer is what the host looks up: shared.Answer of the copy the plugin was built with.
func Answer() int { return shared.Answer() }
