"""The shell completions complete what the command takes: bash's function, driven as bash drives
it (COMP_WORDS, COMP_CWORD, then COMPREPLY), with bash-completion loaded and without, completes
commands, each command's options (exactly those `dldoctor COMMAND --help` prints), --mode's
values and files where a path goes; zsh's script parses and names every option too.

Usage: check_completion.py DLDOCTOR BASH_SCRIPT ZSH_SCRIPT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")

DRIVER = r"""
[ -n "$WITH_BASH_COMPLETION" ] && source "$WITH_BASH_COMPLETION"
source "$SCRIPT" || exit 3
COMP_WORDS=("$0" "$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_dldoctor dldoctor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def complete(script: str, words: list, with_bash_completion: bool, cwd: str) -> list:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cwd, "LC_ALL": "C",
           "SCRIPT": script,
           "WITH_BASH_COMPLETION": str(BASH_COMPLETION) if with_bash_completion else ""}
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "dldoctor", *words[1:]],
                            env=env, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"bash failed for {words}: {result.stderr}"
    return sorted(line for line in result.stdout.splitlines() if line)


def help_options(dldoctor: str, command: list) -> list:
    """The long options `dldoctor COMMAND --help` prints (CLI11's "Options:" section)."""
    out = subprocess.run([dldoctor, *command, "--help"], capture_output=True, text=True,
                         check=True).stdout
    section = out.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    return sorted(name for line in section.splitlines() if re.match(r"^  -", line)
                  for name in line.split()[0].split(",") if name.startswith("--"))


def subcommands(dldoctor: str) -> list:
    out = subprocess.run([dldoctor, "--help"], capture_output=True, text=True, check=True).stdout
    section = out.split("\nSubcommands:\n", 1)[1].split("\n\n", 1)[0]
    return sorted(re.findall(r"^  ([a-z][\w-]*)\s", section, re.M))


def main() -> int:
    dldoctor, bash_script, zsh_script = (str(Path(arg).resolve()) for arg in sys.argv[1:4])
    failures = []
    modes = [False] + ([True] if BASH_COMPLETION.is_file() else [])
    if not BASH_COMPLETION.is_file():
        print(f"bash-completion is not installed ({BASH_COMPLETION}): "
              "the plain fallbacks alone are tested")
    commands = subcommands(dldoctor)
    with tempfile.TemporaryDirectory(prefix="dldoctor-completion-") as tmp:
        (Path(tmp) / "plugins").mkdir()
        (Path(tmp) / "plugins" / "libplugin.so").write_bytes(b"")
        (Path(tmp) / "plugins" / "libother.so").write_bytes(b"")
        (Path(tmp) / "plugins" / "lib.d").mkdir()
        (Path(tmp) / "host").write_bytes(b"")
        expectations = [
            (["dldoctor", "ch"], ["check"]),
            (["dldoctor", ""], sorted(commands + ["--color", "--help", "--version"])),
            (["dldoctor", "--color", ""], ["always", "auto", "never"]),
            (["dldoctor", "--color", "never", "ch"], ["check"]),
            (["dldoctor", "--v"], ["--version"]),
            (["dldoctor", "check", "--mo"], ["--mode"]),
            (["dldoctor", "check", "--mode", ""], ["lazy", "now"]),
            (["dldoctor", "check", "--mode", "l"], ["lazy"]),
            (["dldoctor", "check", "--mode", "=", ""], ["lazy", "now"]),
            (["dldoctor", "reload", "--mode", ""], ["lazy", "now"]),
            (["dldoctor", "reload", "--ti"], ["--timeout", "--times"]),
            (["dldoctor", "check", "plugins/libp"], ["plugins/libplugin.so"]),
            (["dldoctor", "check", "--json", "plugins/libo"], ["plugins/libother.so"]),
            (["dldoctor", "tree", "--host", "ho"], ["host"]),
            (["dldoctor", "check", "--search", "plugins/"], ["plugins/lib.d"]),
            (["dldoctor", "check", "--symbol", ""], []),
            (["dldoctor", "explain", ""], []),
        ]
        # Each command's options: exactly those its --help prints.
        for command in commands:
            expectations.append((["dldoctor", command, "--"], help_options(dldoctor, [command])))
        for with_bc in modes:
            label = "with bash-completion" if with_bc else "without bash-completion"
            for words, expected in expectations:
                got = complete(bash_script, words, with_bc, tmp)
                # bash-completion's _filedir marks directories with a trailing slash elsewhere.
                got = [g.rstrip("/") for g in got]
                if got != expected:
                    failures.append(f"bash {label}: {' '.join(words)!r}<TAB> completes {got}, "
                                    f"expected {expected}")
            print(f"bash {label}: {len(expectations)} completions as expected"
                  if not failures else f"bash {label}: checked")

    zsh_text = Path(zsh_script).read_text(encoding="utf-8")
    for command in commands:
        if not re.search(rf"^\s+{command}\)", zsh_text, re.M):
            failures.append(f"zsh: no case for {command}")
        block = zsh_text.split(f"\n        {command})\n", 1)[-1].split(";;", 1)[0]
        for option in help_options(dldoctor, [command]):
            if option != "--help" and not re.search(rf"'\*?{re.escape(option)}[=\[]", block) \
                    and not re.search(rf"\"\*?{re.escape(option)}[=\[]", block):
                failures.append(f"zsh: {command} does not complete {option}")
    if shutil.which("zsh"):
        parsed = subprocess.run(["zsh", "-n", zsh_script], capture_output=True, text=True)
        if parsed.returncode != 0:
            failures.append(f"zsh -n {zsh_script}: {parsed.stderr}")
        else:
            print("zsh: the script parses (zsh -n)")
    else:
        print("zsh is not installed: its script's options are checked, not its syntax")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
