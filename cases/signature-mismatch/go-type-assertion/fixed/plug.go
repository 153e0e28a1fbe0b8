// Scenario: a Go plugin whose Answer has the type the host asserts, func(string) int.
package main

import "strings"

// Answer: six times seven.
func Answer(question string) int { return 6 * 7 * len(strings.Fields(question)) / 3 }
