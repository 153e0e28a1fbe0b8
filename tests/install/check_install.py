"""`meson install` into a staging directory gives a working command, headers, library,
pkg-config file, CMake package, man pages and shell completions: a consumer program is compiled
against the installed copy with pkg-config and run, a CMake project finds the installed package
(find_package(dldoctor VERSION REQUIRED), the imported target dldoctor::dldoctor) and its program
runs, and the installed command checks a file.

Usage: check_install.py BUILD_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CONSUMER = r"""
#include <dldoctor/dldoctor.hpp>
#include <cstdio>
int main() {
  auto library = dldoctor::Library::open("/nonexistent/libplugin.so");
  if (library.ok()) return 1;
  std::printf("%s %.*s\n", library.report().findings.at(0).code.c_str(),
              static_cast<int>(dldoctor::version().size()), dldoctor::version().data());
  return 0;
}
"""

CMAKE_PROJECT = r"""
cmake_minimum_required(VERSION 3.16)
project(dldoctor_cmake_host CXX)
find_package(dldoctor @VERSION@ REQUIRED)
add_executable(host host.cpp)
target_link_libraries(host PRIVATE dldoctor::dldoctor)
"""


def check_cmake_package(stage: str, files: list, library: Path, env: dict, version: str) -> None:
    """A CMake host built against the installed package alone: its include directory, its library
    (no libelf, libdw or libacl named: they are libdldoctor's own DT_NEEDED), and the version
    file's rule (a later minor version is refused before 1.0)."""
    cmake = shutil.which("cmake")
    assert cmake, "cmake is not installed (scripts/setup installs it)"
    config = [p for p in files if p.name == "dldoctorConfig.cmake"]
    assert config, "dldoctorConfig.cmake was not installed"
    assert [p for p in files if p.name == "dldoctorConfigVersion.cmake"], \
        "dldoctorConfigVersion.cmake was not installed"
    prefix = config[0].parent  # STAGE/PREFIX/LIBDIR/cmake/dldoctor/: PREFIX holds include/
    while not (prefix / "include" / "dldoctor").is_dir() and prefix != Path(stage):
        prefix = prefix.parent
    source = Path(stage) / "cmake-host"
    source.mkdir()
    major, minor = (int(part) for part in version.split(".")[:2])
    (source / "CMakeLists.txt").write_text(CMAKE_PROJECT.replace("@VERSION@", f"{major}.{minor}"),
                                           encoding="utf-8")
    (source / "host.cpp").write_text(CONSUMER, encoding="utf-8")
    build = Path(stage) / "cmake-host-build"
    cmake_env = {k: v for k, v in env.items() if not k.startswith("PKG_CONFIG")}
    configured = subprocess.run([cmake, "-S", str(source), "-B", str(build),
                                 f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_CXX_COMPILER=c++"],
                                env=cmake_env, capture_output=True, text=True, check=False)
    assert configured.returncode == 0, configured.stdout + configured.stderr
    built = subprocess.run([cmake, "--build", str(build), "--verbose"], env=cmake_env,
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    link_line = [line for line in built.stdout.splitlines() if " -o host " in line]
    assert link_line and str(library.parent) in link_line[0], built.stdout
    for private in ("-lelf", "-ldw", "-lacl"):
        assert private not in link_line[0], f"the CMake host links {private}: {link_line[0]}"
    out = subprocess.run([str(build / "host")],
                         env={**cmake_env, "LD_LIBRARY_PATH": str(library.parent)},
                         check=True, capture_output=True, text=True).stdout.strip()
    assert out == f"path.not-found {version}", f"the CMake host printed {out!r}"
    print(f"find_package(dldoctor {major}.{minor} REQUIRED) finds "
          f"{config[0].relative_to(stage)}; a host linked with dldoctor::dldoctor runs: {out}")

    later = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}.0"
    (source / "CMakeLists.txt").write_text(CMAKE_PROJECT.replace("@VERSION@", later),
                                           encoding="utf-8")
    refused = subprocess.run([cmake, "-S", str(source), "-B", str(Path(stage) / "cmake-later"),
                              f"-DCMAKE_PREFIX_PATH={prefix}"], env=cmake_env,
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "compatible with requested version" in refused.stderr, \
        refused
    print(f"find_package(dldoctor {later} REQUIRED) refuses the installed {version}")


def project_version(build: Path) -> str:
    info = json.loads(subprocess.run(["meson", "introspect", "--projectinfo", str(build)],
                                     check=True, capture_output=True, text=True).stdout)
    return info["version"]


def main() -> int:
    build = Path(sys.argv[1]).resolve()
    version = project_version(build)
    with tempfile.TemporaryDirectory(prefix="dldoctor-install-") as stage:
        subprocess.run(["meson", "install", "-C", str(build), "--no-rebuild", "--quiet",
                        "--destdir", stage], check=True, stdout=subprocess.DEVNULL)
        files = [p for p in Path(stage).rglob("*") if p.is_file() or p.is_symlink()]
        def find(name):
            hits = [p for p in files if p.name == name]
            assert hits, f"{name} was not installed; installed: {[str(p) for p in files]}"
            return hits[0]
        # (the bash completion is a file named dldoctor too: the command is the one in bin/)
        command = [p for p in files if p.name == "dldoctor" and p.parent.name == "bin"]
        assert command, f"bin/dldoctor was not installed; installed: {[str(p) for p in files]}"
        command = command[0]
        header = find("dldoctor.hpp")
        pc = find("dldoctor.pc")
        library = find("libdldoctor.so")
        print(f"installed {command.relative_to(stage)}, {header.relative_to(stage)}, "
              f"{pc.relative_to(stage)}, {library.relative_to(stage)}")

        # The man pages (mandir/man1; built when scdoc is there: -Dman=auto), the shell
        # completions, where bash-completion and zsh look.
        pages = ("dldoctor.1", "dldoctor-check.1", "dldoctor-tree.1", "dldoctor-reload.1",
                 "dldoctor-scan.1", "dldoctor-run.1", "dldoctor-explain.1", "dldoctor-codes.1")
        if shutil.which("scdoc"):
            for page in pages:
                assert find(page).parent.name == "man1", find(page)
        else:
            print("scdoc is not installed: no man pages to find (scripts/setup installs it)")
        bash_completion = [p for p in files if p.name == "dldoctor"
                           and p.parent.as_posix().endswith("share/bash-completion/completions")]
        assert bash_completion, f"no bash completion installed: {[str(p) for p in files]}"
        assert find("_dldoctor").parent.as_posix().endswith("share/zsh/vendor-completions")
        man1 = [p.parent.relative_to(stage) for p in files if p.name == pages[0]]
        print(f"installed the man pages in {man1[0] if man1 else '(none)'}, "
              f"{bash_completion[0].relative_to(stage)}, {find('_dldoctor').relative_to(stage)}")

        env = {**os.environ, "PKG_CONFIG_SYSROOT_DIR": stage,
               "PKG_CONFIG_PATH": str(pc.parent), "LC_ALL": "C", "NO_COLOR": "1"}
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "dldoctor"], env=env,
                               check=True, capture_output=True, text=True).stdout.split()
        consumer = Path(stage) / "consumer.cpp"
        consumer.write_text(CONSUMER, encoding="utf-8")
        program = Path(stage) / "consumer"
        subprocess.run(["c++", "-std=c++20", str(consumer), "-o", str(program), *flags],
                       env=env, check=True)
        run_env = {**env, "LD_LIBRARY_PATH": str(library.parent)}
        out = subprocess.run([str(program)], env=run_env, check=True, capture_output=True,
                             text=True).stdout.strip()
        assert out == f"path.not-found {version}", f"the consumer printed {out!r}"
        print(f"a program built with pkg-config against the installed copy runs: {out}")

        check_cmake_package(stage, files, library, env, version)

        # A plugin author's side: a C plugin that includes the installed <dldoctor/plugin.h>
        # (found with pkg-config --cflags alone, nothing to link) declares its API, and the
        # installed command refuses it for a host of another version.
        cflags = [f for f in flags if f.startswith("-I")]
        plugin_source = Path(stage) / "plugin.c"
        plugin_source.write_text('#include <dldoctor/plugin.h>\n'
                                 'DLDOCTOR_PLUGIN_API("org.example.installed", 1, 4);\n'
                                 'int answer(void) { return 42; }\n', encoding="utf-8")
        plugin = Path(stage) / "plugin.so"
        subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-shared", "-fPIC", *cflags,
                        str(plugin_source), "-o", str(plugin)], env=env, check=True)
        refused = subprocess.run([str(command), "check", str(plugin), "--api",
                                  "org.example.installed=2"], env=run_env, capture_output=True,
                                 text=True, check=False)
        assert (refused.returncode == 1 and "version.api-mismatch" in refused.stdout
                and "built for org.example.installed 1.4" in refused.stdout), refused
        print("a plugin built with the installed <dldoctor/plugin.h> declares org.example.installed"
              " 1.4: refused for --api org.example.installed=2")

        versioned = subprocess.run([str(command), "--version"], env=run_env, capture_output=True,
                                   text=True, check=True).stdout
        assert re.fullmatch(rf"dldoctor {re.escape(version)} \(revision \S.*\)\n", versioned), \
            versioned
        print(f"the installed command says {versioned.strip()}")

        checked = subprocess.run([str(command), "check", "/usr/bin/true"], env=run_env,
                                 capture_output=True, text=True, check=False)
        assert checked.returncode == 1 and "mode.pie-executable" in checked.stdout, checked
        print("the installed command runs: dldoctor check /usr/bin/true -> mode.pie-executable")

        # --load runs the installed helper (PREFIX/libexec/dldoctor/dldoctor-load), found
        # relative to the installed command: a real dlopen of a real library.
        helper = find("dldoctor-load")
        loaded = subprocess.run([str(command), "check", "--json", "--load",
                                 "/lib/x86_64-linux-gnu/libm.so.6"], env=run_env,
                                capture_output=True, text=True, check=False)
        assert loaded.returncode == 0 and '"loaded":true' in loaded.stdout.replace(" ", ""), loaded
        print(f"the installed command loads through {helper.relative_to(stage)}: libm.so.6 loads")

        # --user asks the installed dldoctor-names (NSS lives there, not in the static command):
        # an unsearchable directory is named for daemon, whose uid only that lookup gives.
        names = find("dldoctor-names")
        private = Path(tempfile.mkdtemp(prefix="dldoctor-install-user-"))
        try:
            private.chmod(0o700)
            library = private / "libm.so.6"
            shutil.copyfile("/lib/x86_64-linux-gnu/libm.so.6", library)
            as_daemon = subprocess.run([str(command), "check", "--user", "daemon", str(library)],
                                       env=run_env, capture_output=True, text=True, check=False)
        finally:
            shutil.rmtree(private)
        assert as_daemon.returncode == 1 and "by daemon (uid 1)" in as_daemon.stdout, as_daemon
        print(f"the installed command asks {names.relative_to(stage)}: daemon (uid 1) cannot "
              "search a directory of mode 0700")

        # dldoctor run loads the installed recorder (PREFIX/libexec/dldoctor/dldoctor-run-*.so)
        # into the program: python3's failed ctypes load of a missing file is recorded.
        recorders = [find("dldoctor-run-preload.so"), find("dldoctor-run-audit.so")]
        ran = subprocess.run([str(command), "run", "--", "python3", "-c",
                              "import ctypes\ntry: ctypes.CDLL('./dldoctor-no-such.so')\n"
                              "except OSError: pass"],
                             env=run_env, capture_output=True, text=True, check=False)
        assert ran.returncode == 0 and "path.not-found" in ran.stderr, ran
        print(f"the installed command records through {recorders[0].parent.relative_to(stage)}: "
              "python3's ctypes.CDLL of a missing file -> path.not-found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
