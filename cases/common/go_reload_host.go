// The host of the Go reload cases (cases/version-conflict/go-reload-same-file, go-plugin-already-
// loaded, go-previous-failure, go-reload-unique-path), each of which links it as its host/main.go
// (a symbolic link: each case is a module of its own, with its own go.mod).
// Scenario: a Go host that reloads a plugin: it opens a build, puts a rebuild in place (a copy
// renamed over the file, as a deploy does) and opens again; Go's plugin.Open caches by real path.
// Usage: host [STEP...] PATH [SYMBOL] [now|lazy], the steps run in order, then PATH is opened:
//
//	-open FILE        plugin.Open(FILE) and call SYMBOL: "opened FILE; SYMBOL() = N", or
//	                  "open failed: <plugin.Open's error>", and the host goes on
//	-install FROM TO  a copy of FROM, renamed over TO (os.Rename): "renamed a copy of FROM to TO"
//	-maps             after PATH's line, what the opened files cost: Go never unloads a plugin
//	-pause            print "ready" and wait until standard input is closed: the moment a
//	                  diagnosis of the running host (dldoctor check --pid) is made
//
// and PATH's result as try_load prints it: "loaded PATH; SYMBOL() = N", or "dlopen failed: <the
// error>" (exit 1), "dlsym failed: ..." (exit 2).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"plugin"
	"strconv"
	"strings"
)

// open opens path and calls its symbol, a func() int; opened says whether plugin.Open succeeded.
func open(path, name string) (value int, opened bool, err error) {
	p, err := plugin.Open(path)
	if err != nil {
		return 0, false, err
	}
	symbol, err := p.Lookup(name)
	if err != nil {
		return 0, true, err
	}
	answer, ok := symbol.(func() int)
	if !ok {
		return 0, true, fmt.Errorf("%s is a %T, not a func() int", name, symbol)
	}
	return answer(), true, nil
}

// install copies from to to+".new" and renames that over to: the old file's inode stays whole for
// whoever has it mapped, and to names the new build.
func install(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to+".new", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(to+".new", to)
}

// residentKB is the process's resident set (/proc/self/statm, the second field, in pages).
func residentKB() int {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(statm))
	pages, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1
	}
	return pages * os.Getpagesize() / 1024
}

// mapped prints which of the opened files /proc/self/maps still maps, and how much address space
// they take: a plugin stays mapped for the life of the process, every build that was opened.
func mapped(opened []string, residentAtStart int) {
	sizes := map[string]uint64{}
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		fmt.Printf("no /proc/self/maps: %v\n", err)
		return
	}
	defer maps.Close()
	lines := bufio.NewScanner(maps)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) < 6 {
			continue
		}
		var start, end uint64
		if _, err := fmt.Sscanf(fields[0], "%x-%x", &start, &end); err == nil {
			sizes[fields[5]] += end - start
		}
	}
	var names []string
	var total uint64
	for _, name := range opened {
		real, err := filepath.Abs(name)
		if err == nil {
			real, err = filepath.EvalSymlinks(real)
		}
		if size, ok := sizes[real]; err == nil && ok {
			names = append(names, name)
			total += size
		}
	}
	fmt.Printf("plugin files still mapped: %d (%s), %d kB of address space; resident set %+d kB "+
		"since the host started\n", len(names), strings.Join(names, " "), total/1024,
		residentKB()-residentAtStart)
}

func main() {
	residentAtStart := residentKB()
	args := os.Args[1:]
	var steps [][]string
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		n := map[string]int{"-open": 2, "-install": 3, "-maps": 1, "-pause": 1}[args[0]]
		if n == 0 || len(args) < n {
			fmt.Fprintf(os.Stderr, "host: bad step %q\n", args[0])
			os.Exit(64)
		}
		steps, args = append(steps, args[:n]), args[n:]
	}
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: host [-open FILE | -install FROM TO | -maps | -pause]... PATH [SYMBOL]")
		os.Exit(64)
	}
	name := "Answer"
	if len(args) > 1 {
		name = args[1]
	}
	var files []string
	showMaps := false
	for _, step := range steps {
		switch step[0] {
		case "-maps":
			showMaps = true
		case "-pause":
			fmt.Println("ready")
			if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
				fmt.Fprintf(os.Stderr, "host: %v\n", err)
				os.Exit(3)
			}
		case "-open":
			files = append(files, step[1])
			if value, _, err := open(step[1], name); err != nil {
				fmt.Printf("open failed: %v\n", err)
			} else {
				fmt.Printf("opened %s; %s() = %d\n", step[1], name, value)
			}
		case "-install":
			if err := install(step[1], step[2]); err != nil {
				fmt.Fprintf(os.Stderr, "host: %v\n", err)
				os.Exit(3)
			}
			fmt.Printf("renamed a copy of %s to %s\n", step[1], step[2])
		}
	}
	value, opened, err := open(args[0], name)
	if err != nil && !opened {
		fmt.Printf("dlopen failed: %v\n", err)
		os.Exit(1)
	}
	if err != nil {
		fmt.Printf("dlsym failed: %v\n", err)
		os.Exit(2)
	}
	fmt.Printf("loaded %s; %s() = %d\n", args[0], name, value)
	if showMaps {
		mapped(append(files, args[0]), residentAtStart)
	}
}
