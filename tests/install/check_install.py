"""`meson install` into a staging directory gives a working command, headers, library and
pkg-config file: a consumer program is compiled against the installed copy with pkg-config and
run, and the installed command checks a file.

Usage: check_install.py BUILD_DIR
"""
import os
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
  std::printf("%s\n", library.report().findings.at(0).code.c_str());
  return 0;
}
"""


def main() -> int:
    build = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="dldoctor-install-") as stage:
        subprocess.run(["meson", "install", "-C", str(build), "--no-rebuild", "--quiet",
                        "--destdir", stage], check=True, stdout=subprocess.DEVNULL)
        files = [p for p in Path(stage).rglob("*") if p.is_file() or p.is_symlink()]
        def find(name):
            hits = [p for p in files if p.name == name]
            assert hits, f"{name} was not installed; installed: {[str(p) for p in files]}"
            return hits[0]
        command = find("dldoctor")
        header = find("dldoctor.hpp")
        pc = find("dldoctor.pc")
        library = find("libdldoctor.so")
        print(f"installed {command.relative_to(stage)}, {header.relative_to(stage)}, "
              f"{pc.relative_to(stage)}, {library.relative_to(stage)}")

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
        assert out == "path.not-found", f"the consumer printed {out!r}"
        print(f"a program built with pkg-config against the installed copy runs: {out}")

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
