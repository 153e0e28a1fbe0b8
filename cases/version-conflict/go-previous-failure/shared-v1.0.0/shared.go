// Scenario: example.com/shared v1.0.0, the copy the host is built with (its go.mod's replace).
// The plugin built with this copy loads; one built with v1.1.0 is refused by plugin.Open.
package shared

import "strings"

// Answer counts the words of the greeting: 42 in v1.0.0.
func Answer() int {
	words := strings.Fields(Greeting)
	total := 0
	for i, word := range words {
		total += len(word) * (i + 1)
	}
	return total - 9
}

// Greeting is the text Answer reads.
var Greeting = "shared module version one"
