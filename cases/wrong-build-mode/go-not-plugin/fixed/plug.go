// Scenario: the same function written as a Go plugin (-buildmode=plugin): plugin.Open loads it and
// plugin.Lookup("Hello") finds example.com/plug.Hello.
package main

// Hello is what the host looks up: an exported (upper-case) function of the plugin's main package.
func Hello() int { return 42 }
