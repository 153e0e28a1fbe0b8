// Runs a command with a fresh tmpfs mounted noexec at DIR, in a private mount namespace: nothing
// outside sees the mount, and it is gone when the command ends (the noexec-mount case's stage).
// As root: unshare(CLONE_NEWNS). Otherwise: unshare(CLONE_NEWUSER | CLONE_NEWNS), the caller
// mapped to root inside, where the kernel allows unprivileged user namespaces.
//
// Usage: in-noexec-mount [--copy FILE]... [--exec-tmpfs DIR]... [--setup 'SHELL COMMAND']
//                        [--as UID:GID] DIR -- PROGRAM [ARG]...
//   --copy FILE       copy FILE into the noexec mount (mode 0644) before anything runs
//   --exec-tmpfs DIR  also mount a fresh tmpfs, without noexec, over the existing DIR: a place
//                     where a fix can install a file without touching the machine
//   --setup COMMAND   run COMMAND with /bin/sh first, as the caller (a fix to apply)
//   --as UID:GID      run PROGRAM as this user and group (only when started as root)
// Exit status: PROGRAM's (128 + N for signal N); 77, Meson's "skipped", when this machine allows
// no private mount (the reason on stderr); 125 for a usage or setup error.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kSkipped = 77;
constexpr int kSetupError = 125;

[[noreturn]] void fail(int status, const std::string& what) {
  std::fprintf(stderr, "in-noexec-mount: %s%s\n", status == kSkipped ? "SKIP: " : "", what.c_str());
  std::exit(status);
}

std::string why(const std::string& call) { return call + ": " + std::strerror(errno); }

bool write_file(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return written;
}

void copy_into(const std::string& file, const std::string& directory) {
  const std::string name = file.substr(file.rfind('/') + 1);
  const std::string target = directory + "/" + name;
  const int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail(kSetupError, why("open " + file));
  const int out = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) fail(kSetupError, why("create " + target));
  char buffer[65536];
  ssize_t got = 0;
  while ((got = ::read(in, buffer, sizeof buffer)) > 0)
    if (::write(out, buffer, static_cast<std::size_t>(got)) != got)
      fail(kSetupError, why("write " + target));
  if (got < 0) fail(kSetupError, why("read " + file));
  ::fchmod(out, 0644);  // not the umask's choice: the case is about the mount, not the mode
  ::close(in);
  ::close(out);
}

// A private mount namespace, in which mounts neither come from nor go to the machine's.
void enter_private_mount_namespace() {
  if (::geteuid() == 0) {
    if (::unshare(CLONE_NEWNS) != 0)
      fail(kSkipped, why("unshare(CLONE_NEWNS) as root (a container without CAP_SYS_ADMIN?)"));
  } else {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
      fail(kSkipped, why("not root, and unshare(CLONE_NEWUSER|CLONE_NEWNS)") +
                         " (unprivileged user namespaces are disabled here)");
    // Map the caller to root inside; setgroups must be denied before an unprivileged gid_map.
    if (!write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      fail(kSkipped, why("writing the user namespace's uid and gid maps"));
  }
  // The new namespace's mounts are copies that may still share propagation with the machine's
  // (systemd makes / shared): make them private first, or the tmpfs would appear outside.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail(kSkipped, why("mount --make-rprivate /"));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> copies;
  std::vector<std::string> exec_directories;
  std::string setup;
  std::string as;
  int i = 1;
  for (; i < argc && std::strncmp(argv[i], "--", 2) == 0 && std::strcmp(argv[i], "--") != 0;
       i += 2) {
    if (i + 1 >= argc) fail(kSetupError, std::string(argv[i]) + " needs a value");
    const std::string option = argv[i];
    if (option == "--copy")
      copies.push_back(argv[i + 1]);
    else if (option == "--exec-tmpfs")
      exec_directories.push_back(argv[i + 1]);
    else if (option == "--setup")
      setup = argv[i + 1];
    else if (option == "--as")
      as = argv[i + 1];
    else
      fail(kSetupError, "unknown option " + option);
  }
  if (i + 2 >= argc || std::strcmp(argv[i + 1], "--") != 0)
    fail(kSetupError,
         "usage: in-noexec-mount [--copy FILE]... [--exec-tmpfs DIR]... [--setup COMMAND] "
         "[--as UID:GID] DIR -- PROGRAM [ARG]...");
  const std::string directory = argv[i];
  char** command = argv + i + 2;

  uid_t as_uid = 0;
  gid_t as_gid = 0;
  if (!as.empty() && std::sscanf(as.c_str(), "%u:%u", &as_uid, &as_gid) != 2)
    fail(kSetupError, "--as wants UID:GID, not " + as);
  const bool drop = !as.empty() && ::geteuid() == 0;

  // The mount point is made before the namespace, as the caller, and removed after.
  const bool made_directory = ::mkdir(directory.c_str(), 0755) == 0;
  if (!made_directory && errno != EEXIST) fail(kSetupError, why("mkdir " + directory));
  enter_private_mount_namespace();
  if (::mount("tmpfs", directory.c_str(), "tmpfs", MS_NOEXEC | MS_NOSUID | MS_NODEV,
              "mode=0755,size=16m") != 0)
    fail(kSkipped, why("mount -t tmpfs -o noexec tmpfs " + directory));
  for (const std::string& exec_directory : exec_directories)
    if (::mount("tmpfs", exec_directory.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "mode=0755,size=16m") != 0)
      fail(kSetupError, why("mount -t tmpfs tmpfs " + exec_directory));
  for (const std::string& file : copies) copy_into(file, directory);

  if (!setup.empty()) {
    const int status = std::system(setup.c_str());
    if (status != 0) fail(kSetupError, "the setup command failed: " + setup);
  }

  const pid_t child = ::fork();
  if (child < 0) fail(kSetupError, why("fork"));
  if (child == 0) {
    if (drop && (::setgroups(0, nullptr) != 0 || ::setgid(as_gid) != 0 || ::setuid(as_uid) != 0))
      fail(kSetupError, why("dropping to " + as));
    ::execvp(command[0], command);
    fail(127, why(std::string("exec ") + command[0]));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // The namespace ends with this process; the mount point it was made for goes with it.
  ::umount2(directory.c_str(), MNT_DETACH);
  if (made_directory) ::rmdir(directory.c_str());
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
