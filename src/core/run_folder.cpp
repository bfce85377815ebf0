#include "idealgas/core/run_folder.hpp"

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <regex>

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/utf8.hpp"

namespace idealgas {

namespace fs = std::filesystem;

namespace {

// How long a lock is retried before the folder counts as busy: 20 x 50 ms.
constexpr int kLockRetries = 20;
constexpr useconds_t kLockRetryMicroseconds = 50'000;

}  // namespace

fs::path require_output_folder(const std::string& flag, const std::string& path) {
  if (path.empty())
    throw InputError(fmt::format("{} is empty; give the folder to write results into (it is created if missing)",
                                 flag));
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw InputError(fmt::format("{} '{}' exists and is not a folder; choose a folder path", flag, path));
  return fs::path(path);
}

RunFolderLock::RunFolderLock(const fs::path& folder, LockMode mode, const std::string& name) {
  std::error_code ec;
  // Every run records its folder (run.json, a sweep's job commands, Slurm scripts) by its absolute path, in JSON:
  // a relative --out below a working folder whose name is not UTF-8 is refused here, before anything is created.
  const fs::path absolute = fs::absolute(folder, ec);
  require_utf8("the output folder", ec ? folder.string() : absolute.string());
  fs::create_directories(folder, ec);
  if (ec)
    throw IoError(fmt::format("cannot create folder {}: {}; check the path and its permissions", folder.string(),
                              ec.message()));
  const fs::path lock = folder / name;
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw IoError(fmt::format("cannot open {}: {}; check the folder is writable", lock.string(), std::strerror(errno)));
  // A probe (folder_locked) holds the lock for microseconds: retry briefly before calling the folder busy.
  const int operation = (mode == LockMode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  bool locked = ::flock(fd_, operation) == 0;
  for (int attempt = 0; !locked && errno == EWOULDBLOCK && attempt < kLockRetries; ++attempt) {
    ::usleep(kLockRetryMicroseconds);
    locked = ::flock(fd_, operation) == 0;
  }
  if (!locked) {
    ::close(fd_);
    fd_ = -1;
    throw InputError(fmt::format("{} is in use by another running idealgas process; wait for it or choose "
                                 "another output folder",
                                 folder.string()));
  }
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

FolderRecordsLock::FolderRecordsLock(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    throw IoError(fmt::format("cannot create folder {}: {}; check the path and its permissions", folder.string(),
                              ec.message()));
  const fs::path lock = folder / kRecordsLockFile;
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw IoError(fmt::format("cannot open {}: {}; check the folder is writable", lock.string(), std::strerror(errno)));
  // Polled rather than blocking: a process stopped while holding it (SIGSTOP) must not hang every other one.
  constexpr useconds_t kPollMicroseconds = 2'000;
  const long polls = static_cast<long>(kRecordsLockSeconds * 1e6 / kPollMicroseconds);
  for (long k = 0; ::flock(fd_, LOCK_EX | LOCK_NB) != 0; ++k) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw IoError(fmt::format("cannot lock {}: {}", lock.string(), std::strerror(err)));
    }
    if (k >= polls) {
      ::close(fd_);
      fd_ = -1;
      throw InputError(fmt::format("{}: another idealgas process has held its records lock ({}) for {:.0f} s; wait "
                                   "for it to finish",
                                   folder.string(), kRecordsLockFile, kRecordsLockSeconds));
    }
    ::usleep(kPollMicroseconds);
  }
}

FolderRecordsLock::~FolderRecordsLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool folder_locked(const fs::path& folder, const std::string& name) {
  const fs::path lock = folder / name;
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no lock file: no run ever held it
  // Exclusive, so that shared holders (a sweep's shards) count too; held for microseconds (see RunFolderLock).
  const bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the probe's own lock, if it got one
  return locked;
}

int remove_stale_temporaries(const fs::path& folder, bool recursive) {
  static const std::regex kTemporary(R"(.*\.tmp\.[0-9]+$)");
  int removed = 0;
  std::error_code ec;
  const auto remove_if_temporary = [&](const fs::directory_entry& entry) {
    std::error_code ignored;
    if (entry.is_regular_file(ignored) && std::regex_match(entry.path().filename().string(), kTemporary)) {
      fs::remove(entry.path(), ignored);
      removed += ignored ? 0 : 1;
    }
  };
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      remove_if_temporary(*it);
  } else {
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      remove_if_temporary(*it);
  }
  return removed;
}

}  // namespace idealgas

namespace idealgas {

namespace {

bool matches_any(const std::vector<std::string>& patterns, const std::string& name) {
  for (const std::string& p : patterns)
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

// Lock files and the temporaries of killed atomic writes: idealgas's own in any folder it writes.
bool is_own_bookkeeping(const std::string& name) {
  static const std::regex kBookkeeping(R"(\.[A-Za-z0-9._-]*lock|.*\.tmp\.[0-9]+)");
  return std::regex_match(name, kBookkeeping);
}

[[noreturn]] void refuse_foreign(const fs::path& folder, const fs::path& entry, const std::string& why) {
  throw InputError(fmt::format("--restart removes only what idealgas wrote, and {} {}; move it out of {} (or choose "
                               "another folder), then rerun",
                               escape_bytes(entry.string()), why, escape_bytes(folder.string())));
}

// Checks that everything inside `dir` (a subfolder that --restart removes whole) is named by `own`.
void check_own_tree(const fs::path& folder, const fs::path& dir, const OwnFiles& own) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    entries.push_back(*it);
  if (ec) throw IoError(fmt::format("cannot list {}: {}", escape_bytes(dir.string()), ec.message()));
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path() < b.path(); });
  for (const fs::directory_entry& e : entries) {
    const std::string name = e.path().filename().string();
    const fs::file_status st = e.symlink_status(ec);
    if (fs::is_symlink(st)) refuse_foreign(folder, e.path(), "is a link (idealgas writes none)");
    if (fs::is_directory(st)) {
      const OwnFiles* sub = nullptr;
      for (const auto& [pattern, contents] : own.folders)
        if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) sub = &contents;
      if (sub == nullptr) refuse_foreign(folder, e.path(), "is a folder idealgas does not write there");
      check_own_tree(folder, e.path(), *sub);
    } else if (!fs::is_regular_file(st)) {
      refuse_foreign(folder, e.path(), "is not a regular file (idealgas writes only regular files)");
    } else if (!is_own_bookkeeping(name) && !matches_any(own.files, name)) {
      refuse_foreign(folder, e.path(), "is not a file idealgas writes there");
    }
  }
}

}  // namespace

int remove_own_files(const fs::path& folder, const OwnFiles& own, const std::string& record, bool record_is_ours) {
  std::error_code ec;
  std::vector<fs::path> remove;  // checked first, removed only when every one is idealgas's
  std::vector<fs::directory_entry> entries;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    entries.push_back(*it);
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path() < b.path(); });
  for (const fs::directory_entry& e : entries) {
    const std::string name = e.path().filename().string();
    const fs::file_status st = e.symlink_status(ec);
    const OwnFiles* sub = nullptr;
    for (const auto& [pattern, contents] : own.folders)
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) sub = &contents;
    if (sub != nullptr) {
      if (!fs::is_directory(st)) refuse_foreign(folder, e.path(), "is not the folder idealgas writes under that name");
      check_own_tree(folder, e.path(), *sub);
      remove.push_back(e.path());
    } else if (matches_any(own.files, name)) {
      if (!fs::is_regular_file(st)) refuse_foreign(folder, e.path(), "is not the file idealgas writes under that name");
      remove.push_back(e.path());
    }
  }
  if (!remove.empty() && !record_is_ours)
    refuse_foreign(folder, remove.front(),
                   fmt::format("is not known to be its own: {} has no {} of an idealgas run", folder.string(), record));
  int removed = 0;
  for (const fs::path& p : remove) {
    fs::remove_all(p, ec);
    if (ec) throw IoError(fmt::format("cannot remove {}: {}", escape_bytes(p.string()), ec.message()));
    ++removed;
  }
  return removed;
}

}  // namespace idealgas
