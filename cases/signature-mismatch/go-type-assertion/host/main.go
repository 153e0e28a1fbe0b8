// Scenario: a Go host opens a Go plugin and asserts its Answer to func(string) int, the type the
// host was written for. A plugin whose Answer is func(string, int) int opens and looks up fine, and
// the assertion panics; with -comma-ok the host uses the v, ok form and reports instead.
// Usage: host [-comma-ok] PATH [SYMBOL] [now|lazy], printing what try_load prints: "loaded PATH;
// SYMBOL() = VALUE", or "dlopen failed: ..." (exit 1), "dlsym failed: ..." (exit 2); the panic
// of a failed assertion exits 2 with the runtime's message on standard error.
package main

import (
	"fmt"
	"os"
	"plugin"
)

func main() {
	args := os.Args[1:]
	commaOk := len(args) > 0 && args[0] == "-comma-ok"
	if commaOk {
		args = args[1:]
	}
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: host [-comma-ok] PATH [SYMBOL] [now|lazy]")
		os.Exit(64)
	}
	name := "Answer"
	if len(args) > 1 {
		name = args[1]
	}
	p, err := plugin.Open(args[0])
	if err != nil {
		fmt.Printf("dlopen failed: %v\n", err)
		os.Exit(1)
	}
	symbol, err := p.Lookup(name)
	if err != nil {
		fmt.Printf("dlsym failed: %v\n", err)
		os.Exit(2)
	}
	var answer func(string) int
	if commaOk {
		var ok bool
		if answer, ok = symbol.(func(string) int); !ok {
			fmt.Printf("dlsym failed: %s is a %T, not a func(string) int\n", name, symbol)
			os.Exit(2)
		}
	} else {
		answer = symbol.(func(string) int) // panics when the plugin's type differs
	}
	fmt.Printf("loaded %s; %s() = %d\n", args[0], name, answer("six times seven"))
}
