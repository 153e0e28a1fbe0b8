// Scenario: a Go plugin (-buildmode=plugin) whose Answer comes from example.com/shared; built with
// go.mod (v1.0.0, the host's) it loads, with go.broken.mod (v1.1.0) plugin.Open refuses it.
package main

import "example.com/shared"

// Answer is what the host looks up: shared.Answer of the copy the plugin was built with.
func Answer() int { return shared.Answer() }
