// Scenario: a Go plugin rebuilt for every reload, its build number set by the linker (-X): with
// its package's plugin path each time, plugin.Open refuses every rebuild; with one of its own, each
// loads, and each stays mapped for the life of the host.
package main

import "strconv"

// build is the build's number, -X <pluginpath>.build=N.
var build = "0"

// Answer is what the host looks up: the build's number.
func Answer() int {
	n, _ := strconv.Atoi(build)
	return n
}
