// Scenario: a Go host opens plugin.Open("p.so"), a bare name: Go's realpath resolves it against
// the current directory, never searching LD_LIBRARY_PATH or RUNPATH as dlopen would.
// Usage: host PATH [SYMBOL] [now|lazy], printing what try_load prints: "loaded PATH; SYMBOL() =
// VALUE", or "dlopen failed: <plugin.Open's error>" (exit 1), "dlsym failed: <Lookup's>" (exit 2).
package main

import (
	"fmt"
	"os"
	"plugin"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: host PATH [SYMBOL] [now|lazy]")
		os.Exit(64)
	}
	name := "Hello"
	if len(os.Args) > 2 {
		name = os.Args[2]
	}
	p, err := plugin.Open(os.Args[1])
	if err != nil {
		fmt.Printf("dlopen failed: %v\n", err)
		os.Exit(1)
	}
	symbol, err := p.Lookup(name)
	if err != nil {
		fmt.Printf("dlsym failed: %v\n", err)
		os.Exit(2)
	}
	answer, ok := symbol.(func() int)
	if !ok {
		fmt.Printf("dlsym failed: %s is a %T, not a func() int\n", name, symbol)
		os.Exit(2)
	}
	fmt.Printf("loaded %s; %s() = %d\n", os.Args[1], name, answer())
}
