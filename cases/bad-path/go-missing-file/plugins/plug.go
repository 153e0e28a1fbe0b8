// Scenario: a Go plugin, plugins/p.so; the host is given "./plugins/p", the name Go's own messages
// print (they drop ".so"): realpath finds no such file, and plugin.Open fails before any dlopen.
package main

// Hello is what the host looks up: an exported (upper-case) function of the plugin's main package.
func Hello() int { return 42 }
