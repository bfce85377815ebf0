#include "idealgas/core/run_folder.hpp"

#include <cerrno>
#include <cstring>
#include <regex>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

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
