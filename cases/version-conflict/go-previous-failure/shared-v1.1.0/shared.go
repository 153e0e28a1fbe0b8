// Scenario: example.com/shared v1.1.0, newer than the host's copy (v1.0.0); the broken plugin's
// go.broken.mod takes it, and plugin.Open refuses that plugin: the package's hash differs.
package shared

import "strings"

// Answer counts the words of the greeting: 43 in v1.1.0.
func Answer() int {
	words := strings.Fields(Greeting)
	total := 0
	for i, word := range words {
		total += len(word) * (i + 1)
	}
	return total - 8
}

// Greeting is the text Answer reads.
var Greeting = "shared module version one"
