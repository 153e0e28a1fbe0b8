// Reading a Go binary's function table (runtime.pcHeader, "pclntab"), Go 1.18 and later: the
// name of every function of the module and the source file of its entry, which say where each
// package was compiled from. Unlike the DWARF it is never compressed, and -ldflags=-w keeps it
// (the runtime needs it for stack traces); a plugin's is found by its runtime.pclntab symbols,
// which -s strips. The layout (Go src/runtime/symtab.go):
//   pcHeader: magic uint32 (0xfffffff0: Go 1.18-1.19, 0xfffffff1: Go 1.20 and later), two pad
//   bytes, minLC, ptrSize, then ptrSize-wide nfunc, nfiles, textStart and the offsets, from the
//   header, of funcnametab, cutab, filetab, pctab and the function table;
//   function table: nfunc+1 {entryoff, funcoff uint32} pairs, funcoff from the table's start, to
//   a _func {entryoff, nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset ...};
//   the name is at funcnametab[nameoff]; the pcfile value table (pctab[pcfile]) starts with the
//   file index at the entry (zig-zag varint delta from -1), an index into the unit's files
//   (cutab[cuOffset + index], a uint32 offset into filetab of a NUL-terminated path).
// Every offset, count and string is checked against the bytes: a hostile table gives less (a
// function skipped) or nothing, never a read outside them.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace dldoctor::go {

// The package of a function's name as the runtime spells it: "example.com/shared.(*T).M" ->
// "example.com/shared", "main.main" -> "main"; a generic instantiation's bracket is not looked
// into ("p.F[go.shape.*example.com/q.T]" -> "p"). "" when the name has no package.
std::string_view function_package(std::string_view name) noexcept;

struct PclnDirectories {
  // The directories of the files of each package's functions (the file of each entry: where the
  // function is declared, not where what it inlines is), at most max_per_package each.
  std::map<std::string, std::set<std::string>> directories;
  std::size_t functions = 0;  // in the table
};

// The directories of the packages named (all when packages is null) from the bytes of a
// pclntab. nullopt when they are none of Go 1.18's or later (magic, pointer size) or its header's
// counts and offsets do not fit in them.
std::optional<PclnDirectories> pcln_source_directories(std::span<const unsigned char> table,
                                                       const std::set<std::string>* packages,
                                                       std::size_t max_per_package = 16);

}  // namespace dldoctor::go
