"""The Debian packages install what their users expect: scripts/package builds dldoctor,
libdldoctor0 and libdldoctor-dev (dpkg-buildpackage, then lintian without errors); each is
unpacked (dpkg -x) into one temporary root, where the command runs and finds its helpers, its man
pages render, its bash completion completes, and a CMake host builds against libdldoctor-dev.
Slow (a whole build in a copy of the tree): suite 'package', not in the default run.

Usage: check_debs.py SOURCE_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HOST = r"""
#include <dldoctor/dldoctor.hpp>
#include <cstdio>
int main() {
  auto library = dldoctor::Library::open("/nonexistent/libplugin.so");
  if (library.ok()) return 1;
  std::printf("%s\n", library.report().findings.at(0).code.c_str());
  return 0;
}
"""


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(map(str, args)), capture_output=True, text=True, **kwargs)


def main() -> int:
    source = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="dldoctor-debs-") as tmp:
        out = Path(tmp) / "debs"
        env = {**os.environ, "DEB_BUILD_OPTIONS": os.environ.get("DEB_BUILD_OPTIONS", "nocheck")}
        built = run(source / "scripts" / "package", out, env=env, check=False)
        print(built.stdout)
        assert built.returncode == 0, f"scripts/package failed:\n{built.stdout}\n{built.stderr}"
        debs = {re.sub(r"_.*", "", p.name): p for p in out.glob("*.deb")}
        for name in ("dldoctor", "libdldoctor0", "libdldoctor-dev"):
            assert name in debs, f"no {name} package: {sorted(p.name for p in out.iterdir())}"
        root = Path(tmp) / "root"
        for name in ("dldoctor", "libdldoctor0", "libdldoctor-dev"):
            run("dpkg", "-x", debs[name], root, check=True)
            contents = run("dpkg", "-c", debs[name], check=True).stdout
            print(f"{debs[name].name}: {len(contents.splitlines())} entries")

        # Which package holds what.
        expected = {
            "dldoctor": ["./usr/bin/dldoctor", "./usr/libexec/dldoctor/dldoctor-load",
                         "./usr/libexec/dldoctor/dldoctor-names",
                         "./usr/libexec/dldoctor/dldoctor-reload",
                         "./usr/libexec/dldoctor/dldoctor-run-audit.so",
                         "./usr/libexec/dldoctor/dldoctor-run-preload.so",
                         "./usr/share/man/man1/dldoctor-check.1.gz",
                         "./usr/share/bash-completion/completions/dldoctor",
                         "./usr/share/zsh/vendor-completions/_dldoctor"],
            "libdldoctor0": [r"./usr/lib/[^/]+/libdldoctor\.so\.0"],
            "libdldoctor-dev": ["./usr/include/dldoctor/dldoctor.hpp",
                                r"./usr/lib/[^/]+/libdldoctor\.so ",
                                r"./usr/lib/[^/]+/pkgconfig/dldoctor\.pc",
                                r"./usr/lib/[^/]+/cmake/dldoctor/dldoctorConfig\.cmake"],
        }
        for name, paths in expected.items():
            contents = run("dpkg", "-c", debs[name], check=True).stdout
            for path in paths:
                assert re.search(path if "[" in path or "\\" in path else re.escape(path),
                                 contents), f"{name} does not hold {path}:\n{contents}"
        print("each package holds its files: the command, helpers, man pages and completions; "
              "the library; the headers, .so, pkg-config and CMake files")

        libdir = next(root.glob("usr/lib/*/libdldoctor.so.0")).parent
        command = root / "usr" / "bin" / "dldoctor"
        run_env = {**os.environ, "LD_LIBRARY_PATH": str(libdir), "LC_ALL": "C", "NO_COLOR": "1"}
        version = run(command, "--version", env=run_env, check=True).stdout.strip()
        assert re.fullmatch(r"dldoctor \S+ \(revision \S+\)", version), version
        assert not version.endswith("(revision unknown)"), version
        checked = run(command, "check", "/usr/bin/true", env=run_env, check=False)
        assert checked.returncode == 1 and "mode.pie-executable" in checked.stdout, checked
        loaded = run(command, "check", "--json", "--load", "/lib/x86_64-linux-gnu/libm.so.6",
                     env=run_env, check=False)
        assert loaded.returncode == 0 and '"loaded":true' in loaded.stdout.replace(" ", ""), \
            loaded
        print(f"the unpacked command runs: {version}; check /usr/bin/true -> mode.pie-executable;"
              " --load through /usr/libexec/dldoctor/dldoctor-load: libm.so.6 loads")

        page = root / "usr" / "share" / "man" / "man1" / "dldoctor-check.1.gz"
        rendered = run("man", "--warnings", "-l", page, env={**run_env, "MANWIDTH": "80"},
                       check=False)
        assert rendered.returncode == 0 and not rendered.stderr and "--mode" in rendered.stdout, \
            rendered
        completion = root / "usr" / "share" / "bash-completion" / "completions" / "dldoctor"
        completed = run("bash", "--norc", "-c", f'source "{completion}"; COMP_WORDS=(dldoctor ch);'
                        ' COMP_CWORD=1; _dldoctor; printf "%s\\n" "${COMPREPLY[@]}"',
                        check=True).stdout.split()
        assert completed == ["check"], completed
        print("its man page renders (man -l dldoctor-check.1.gz); its bash completion "
              "completes dldoctor ch -> check")

        cmake = shutil.which("cmake")
        if cmake:
            project = Path(tmp) / "host"
            project.mkdir()
            (project / "CMakeLists.txt").write_text(
                "cmake_minimum_required(VERSION 3.16)\nproject(host CXX)\n"
                "find_package(dldoctor 0.1 REQUIRED)\nadd_executable(host host.cpp)\n"
                "target_link_libraries(host PRIVATE dldoctor::dldoctor)\n", encoding="utf-8")
            (project / "host.cpp").write_text(HOST, encoding="utf-8")
            configured = run(cmake, "-S", project, "-B", project / "build",
                             f"-DCMAKE_PREFIX_PATH={root / 'usr'}", check=False)
            assert configured.returncode == 0, configured.stdout + configured.stderr
            run(cmake, "--build", project / "build", check=True)
            out = run(project / "build" / "host", env=run_env, check=True).stdout.strip()
            assert out == "path.not-found", out
            print("a CMake host finds libdldoctor-dev's package and runs: path.not-found")
        else:
            print("cmake is not installed: the CMake host is not built")
    return 0


if __name__ == "__main__":
    sys.exit(main())
