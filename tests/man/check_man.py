"""The man pages built from docs/man/ are what the command is: each renders without a warning
(groff -ww, and man -l), names every option `dldoctor COMMAND --help` prints, and states the exit
statuses; dldoctor(1) names every command, and dldoctor-codes(1) lists every code that
`dldoctor codes --json` prints.

Usage: check_man.py DLDOCTOR MAN_PAGE...
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ENV = {**os.environ, "LC_ALL": "C.UTF-8", "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "0"}


def rendered(page: Path) -> str:
    """The page as plain text, on lines too long to break or hyphenate an option."""
    warnings = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], env=ENV,
                              capture_output=True, text=True, check=False)
    assert warnings.returncode == 0 and not warnings.stderr, \
        f"{page.name}: groff -ww warns:\n{warnings.stderr}"
    if shutil.which("man"):
        man = subprocess.run(["man", "--warnings", "-l", str(page)], env=ENV,
                             capture_output=True, text=True, check=False)
        assert man.returncode == 0 and not man.stderr and man.stdout.strip(), \
            f"{page.name}: man -l fails or warns:\n{man.stderr}"
    text = subprocess.run(["groff", "-man", "-Tutf8", "-rLL=2000n", "-rHY=0", "-P-cbou",
                           str(page)], env=ENV, capture_output=True, text=True, check=True).stdout
    return text.replace("\u2010", "-").replace("\u2212", "-")


def help_options(dldoctor: str, command: list) -> tuple[list, str]:
    """The options (long and short) and positionals that `dldoctor COMMAND --help` prints (CLI11:
    a section title "Options:", then one "  -h,--help  text" line per option), and its text."""
    out = subprocess.run([dldoctor, *command, "--help"], env=ENV, capture_output=True, text=True,
                         check=True).stdout
    names = []
    section = None
    for line in out.splitlines():
        title = re.match(r"^([A-Z][a-z]+):$", line)
        if title:
            section = title.group(1)
        elif not line.startswith(" "):  # a blank line or the footer ends a section
            section = None
        elif section in ("Options", "Positionals") and re.match(r"^  \S", line):
            names += line.split()[0].split(",")
    assert "--help" in names, f"no options read from `dldoctor {' '.join(command)} --help`:\n{out}"
    return names, out


def subcommands(help_text: str) -> list:
    part = help_text.split("Subcommands:", 1)
    assert len(part) == 2, f"`dldoctor --help` has no Subcommands:\n{help_text}"
    return [m.group(1) for m in re.finditer(r"^  ([a-z][\w-]*)\s", part[1].split("\n\n")[0],
                                            re.M)]


def main() -> int:
    dldoctor, pages = sys.argv[1], {Path(p).name: Path(p) for p in sys.argv[2:]}
    failures = []
    top_options, top_help = help_options(dldoctor, [])
    commands = subcommands(top_help)
    assert commands, top_help
    for command in [None, *commands]:
        name = "dldoctor.1" if command is None else f"dldoctor-{command}.1"
        if name not in pages:
            failures.append(f"no man page {name} for `dldoctor {command or ''}`")
            continue
        text = rendered(pages[name])
        options = top_options if command is None else help_options(dldoctor, [command])[0]
        for option in options:
            if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text):
                failures.append(f"{name}: `dldoctor {command or ''} --help` prints {option}, "
                                "the page does not name it")
        if "EXIT STATUS" not in text:
            failures.append(f"{name}: no EXIT STATUS section")
        if command is None:
            for other in commands:
                if not re.search(rf"\bdldoctor-{other}\(1\)", text):
                    failures.append(f"dldoctor.1 does not refer to dldoctor-{other}(1)")
        print(f"{name}: renders without warnings, names {len(options)} options")

    codes = json.loads(subprocess.run([dldoctor, "codes", "--json"], env=ENV, check=True,
                                      capture_output=True, text=True).stdout)
    if "dldoctor-codes.1" in pages:
        text = rendered(pages["dldoctor-codes.1"])
        missing = [c["code"] for c in codes if not re.search(
            rf"(?<![\w.-]){re.escape(c['code'])} \({c['family']}, {c['severity']}\)", text)]
        failures += [f"dldoctor-codes.1 does not list {code}" for code in missing]
        print(f"dldoctor-codes.1 lists the {len(codes) - len(missing)} of {len(codes)} codes")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
