#!/usr/bin/env python3
"""Write the hand-made malformed ELF files of tests/data (deterministic; standard library only).

Every file starts from one minimal, otherwise valid ELF64 little-endian x86-64 ET_DYN image of
256 bytes, built here with struct, and breaks exactly one thing:

    0x00  ELF header (64 bytes): e_phoff=0x40, e_phnum=2, e_phentsize=56, no section headers
    0x40  PT_LOAD     offset 0, vaddr 0, filesz = memsz = 256 (the whole file)
    0x78  PT_DYNAMIC  offset = vaddr = 0xb0, filesz = memsz = 64
    0xb0  dynamic array: DT_NEEDED 1, DT_STRTAB 0xf0, DT_STRSZ 16, DT_NULL
    0xf0  dynamic string table: "\\0libc.so.6\\0" padded with zeros to 16 bytes

The files (and the one-line reason dldoctor must give; tests/bad_input/ checks both):

  truncated-header.elf             the first 24 bytes of the image: e_ident is valid, the rest of
                                   the 64-byte ELF header is missing.
  phdr-past-end.elf                the image cut to 120 bytes: the header is whole, but the two
                                   56-byte program headers at 0x40 need 176 bytes.
  absurd-phnum.elf                 e_phnum=0xfffe (0xffff would mean PN_XNUM): a table of 3.6 MB
                                   announced by a 256-byte file; a reader must check before it
                                   allocates or loops.
  bad-phentsize.elf                e_phentsize=7: not the 56 bytes of an Elf64_Phdr, so every entry
                                   after the first would be read at the wrong place.
  dynamic-out-of-range.elf         PT_DYNAMIC p_offset=0x10000, p_filesz=p_memsz=0x100: the dynamic
                                   segment lies beyond the end of the file.
  strtab-offset-out-of-range.elf   DT_NEEDED d_val=0x1000 with DT_STRSZ=16: the library name would
                                   be read from outside the string table (and the file).
  absurd-strsz.elf                 DT_STRSZ=0xffffffffffff: a string table larger than the file;
                                   a reader must not trust it for bounds or allocation.
  strtab-vaddr-unmapped.elf        DT_STRTAB=0x900000: an address that no PT_LOAD maps, so it has
                                   no file offset at all.
  empty.elf                        0 bytes: handled before the ELF reader.

Run it from anywhere: python3 tests/data/make_malformed.py [OUTPUT_DIR]  (default: its own dir).
"""

import struct
import sys
from pathlib import Path

# ELF constants (from elf.h).
ET_DYN, EM_X86_64, EV_CURRENT = 3, 62, 1
PT_LOAD, PT_DYNAMIC = 1, 2
PF_W, PF_R = 2, 4
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10

EHDR_SIZE, PHDR_SIZE, DYN_SIZE = 64, 56, 16
PHOFF = EHDR_SIZE  # 0x40
PHNUM = 2
DYN_OFF = PHOFF + PHNUM * PHDR_SIZE  # 0xb0
DYN_COUNT = 4
STRTAB_OFF = DYN_OFF + DYN_COUNT * DYN_SIZE  # 0xf0
STRTAB = b"\0libc.so.6\0".ljust(16, b"\0")
NEEDED_NAME = 1  # offset of "libc.so.6" in STRTAB
FILE_SIZE = STRTAB_OFF + len(STRTAB)  # 256


def ehdr(phnum=PHNUM, phentsize=PHDR_SIZE):
    ident = b"\x7fELF" + bytes([2, 1, EV_CURRENT, 0, 0]) + bytes(7)  # ELFCLASS64, LSB, SYSV
    return ident + struct.pack(
        "<HHIQQQIHHHHHH",
        ET_DYN, EM_X86_64, EV_CURRENT,
        0,  # e_entry
        PHOFF,
        0,  # e_shoff: no section headers
        0,  # e_flags
        EHDR_SIZE, phentsize, phnum,
        64, 0, 0)  # e_shentsize, e_shnum, e_shstrndx


def phdr(p_type, flags, offset, vaddr, filesz, memsz, align):
    return struct.pack("<IIQQQQQQ", p_type, flags, offset, vaddr, vaddr, filesz, memsz, align)


def dyn(entries):
    return b"".join(struct.pack("<qQ", tag, val) for tag, val in entries)


def image(phnum=PHNUM, phentsize=PHDR_SIZE, dyn_offset=DYN_OFF,
          dyn_size=DYN_COUNT * DYN_SIZE, needed=NEEDED_NAME, strtab=STRTAB_OFF,
          strsz=len(STRTAB)):
    """The base image, with any one field replaced."""
    data = (ehdr(phnum, phentsize)
            + phdr(PT_LOAD, PF_R, 0, 0, FILE_SIZE, FILE_SIZE, 0x1000)
            + phdr(PT_DYNAMIC, PF_R | PF_W, dyn_offset, DYN_OFF, dyn_size, dyn_size, 8)
            + dyn([(DT_NEEDED, needed), (DT_STRTAB, strtab), (DT_STRSZ, strsz), (DT_NULL, 0)])
            + STRTAB)
    assert len(data) == FILE_SIZE
    return data


FILES = {
    "truncated-header.elf": image()[:24],
    "phdr-past-end.elf": image()[:120],
    "absurd-phnum.elf": image(phnum=0xFFFE),
    "bad-phentsize.elf": image(phentsize=7),
    "dynamic-out-of-range.elf": image(dyn_offset=0x10000, dyn_size=0x100),
    "strtab-offset-out-of-range.elf": image(needed=0x1000),
    "absurd-strsz.elf": image(strsz=0xFFFFFFFFFFFF),
    "strtab-vaddr-unmapped.elf": image(strtab=0x900000),
    "empty.elf": b"",
}


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    for name, data in FILES.items():
        assert len(data) < 1024, name
        (out / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
