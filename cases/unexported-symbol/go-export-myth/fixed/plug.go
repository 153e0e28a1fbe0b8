// Scenario: the same plugin with the function named Hello, upper-case: a Go exported name, found
// by plugin.Lookup("Hello") as example.com/plug.Hello (and still exported to C by //export).
package main

import "C"

// Hello is exported to Go by its upper-case name, and to C by the line below.
//
//export Hello
func Hello() int { return 42 }
