"""`dldoctor --version` names the version meson.build declares and the revision it was built
from: in a git checkout, the commit `git describe` names (vcs_tag takes it again at each build);
in a tarball from `meson dist`, the REVISION stamp its dist script wrote; else "unknown".

Usage: check_version.py DLDOCTOR VERSION SOURCE_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    dldoctor, version, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    revision_script = root / "scripts" / "revision"
    out = subprocess.run([dldoctor, "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.fullmatch(r"dldoctor (\S+) \(revision (\S+)\)\n", out)
    assert match, f"dldoctor --version printed {out!r}"
    assert match.group(1) == version, f"dldoctor --version says {match.group(1)}, meson {version}"
    if (root / ".git").exists() and shutil.which("git"):
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        # git describe's output (a commit id, a tag, TAG-N-gID) names one commit: HEAD's.
        described = match.group(2).removesuffix("-dirty")
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "--quiet",
                                 described + "^{commit}"], capture_output=True, text=True,
                                check=False).stdout.strip()
        assert commit == head, f"built from {match.group(2)}, the checkout is at {head}"
        print(f"dldoctor --version: {out.strip()}; the checkout is at {head[:12]}")
    else:
        print(f"dldoctor --version: {out.strip()} (not a git checkout)")
    # The same --version through CLI11 (with another argument) says the same.
    both = subprocess.run([dldoctor, "--version", "--help"], capture_output=True, text=True,
                          check=False)
    assert both.stdout == out, f"dldoctor --version --help printed {both.stdout!r}"

    # An unpacked tarball: no .git, the REVISION file that `revision --stamp` wrote at dist time.
    with tempfile.TemporaryDirectory(prefix="dldoctor-version-") as tmp:
        source, dist = Path(tmp) / "source", Path(tmp) / "dist"
        dist.mkdir()
        if (root / ".git").exists():
            stamped = subprocess.run([sys.executable, str(revision_script), "--stamp"],
                                     env={**os.environ, "MESON_SOURCE_ROOT": str(root),
                                          "MESON_DIST_ROOT": str(dist)},
                                     capture_output=True, text=True, check=True)
            assert not stamped.stderr, stamped.stderr
            stamp = (dist / "REVISION").read_text(encoding="utf-8").strip()
            assert stamp and not stamp.endswith("-dirty") and stamp != "unknown", stamp
        else:
            stamp = "f18083f97ef6"
            (dist / "REVISION").write_text(stamp + "\n", encoding="utf-8")
        printed = subprocess.run([sys.executable, str(revision_script), str(dist)],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert printed == stamp, printed
        source.mkdir()
        bare = subprocess.run([sys.executable, str(revision_script), str(source)],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert bare == "unknown", bare
        print(f"a tarball's revision is its stamp: {printed}; without one: {bare}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
