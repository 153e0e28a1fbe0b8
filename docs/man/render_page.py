"""Builds one man page from its scdoc source: the line @FINDING_CODES@ becomes the list that
`dldoctor codes --json` prints (so the page is always the command's own list), then scdoc turns
the source into roff.

Usage: render_page.py SCDOC DLDOCTOR INPUT OUTPUT
"""
import json
import re
import subprocess
import sys
from pathlib import Path


def scdoc_text(text: str) -> str:
    """Text that scdoc prints as it is: its markup characters escaped, and Markdown's code spans
    (the codes' texts are docs/cli.md's too) in double quotes."""
    text = re.sub(r"``\s?(.+?)\s?``|`([^`]+)`", lambda m: f'"{m.group(1) or m.group(2)}"', text)
    return re.sub(r"([\\*_])", r"\\\1", text)


def finding_codes(dldoctor: str) -> str:
    codes = json.loads(subprocess.run([dldoctor, "codes", "--json"], check=True,
                                      capture_output=True, text=True).stdout)
    entries = []
    for code in codes:
        entry = (f"*{scdoc_text(code['code'])}* ({code['family']}, {code['severity']})\n"
                 f"\t{scdoc_text(code['meaning'])}")
        if code.get("loader_message"):
            entry += f"++\nThe loader says: {scdoc_text(code['loader_message'])}"
        entries.append(entry)
    return "\n\n".join(entries)


def main() -> int:
    scdoc, dldoctor, source, output = sys.argv[1:5]
    text = Path(source).read_text(encoding="utf-8")
    if "@FINDING_CODES@" in text:
        text = text.replace("@FINDING_CODES@", finding_codes(dldoctor))
    # scdoc dates the page from SOURCE_DATE_EPOCH when it is set (dpkg-buildpackage sets it).
    roff = subprocess.run([scdoc], input=text, check=True, capture_output=True, text=True).stdout
    Path(output).write_text(roff, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
