// Scenario: one Go library, built twice: with -buildmode=c-shared (broken/p.so, a C library with a
// Go runtime of its own) plugin.Open kills the host; with -buildmode=plugin (fixed/p.so) it loads.
package main

import "C"

// Hello is what the host looks up: exported for Go (upper-case) and, by //export, for C callers.
//
//export Hello
func Hello() int { return 42 }

// main is required by -buildmode=c-shared, and ignored in a plugin.
func main() {}
