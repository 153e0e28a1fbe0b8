// Scenario: a plain Go plugin (-buildmode=plugin); only the host that opens it differs.
package main

// Answer is what the host looks up.
func Answer() int { return 42 }
