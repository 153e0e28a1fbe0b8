// Scenario: one Go plugin (-buildmode=plugin), built three times from these sources: as the host
// was built (it loads), with -trimpath, and with -race (plugin.Open refuses both).
package main

import "strings"

// Answer is what the host looks up.
func Answer() int { return len(strings.Repeat("x", 42)) }
