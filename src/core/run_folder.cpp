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

fs::path require_output_folder(const std::string& flag, const std::string& path) {
  if (path.empty())
    throw InputError(fmt::format("{} is empty; give the folder to write results into (it is created if missing)",
                                 flag));
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw InputError(fmt::format("{} '{}' exists and is not a folder; choose a folder path", flag, path));
  return fs::path(path);
}

RunFolderLock::RunFolderLock(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    throw IoError(fmt::format("cannot create folder {}: {}; check the path and its permissions", folder.string(),
                              ec.message()));
  const fs::path lock = folder / ".lock";
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw IoError(fmt::format("cannot open {}: {}; check the folder is writable", lock.string(), std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
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

int remove_stale_temporaries(const fs::path& folder) {
  static const std::regex kTemporary(R"(.*\.tmp\.[0-9]+$)");
  int removed = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && std::regex_match(it->path().filename().string(), kTemporary)) {
      fs::remove(it->path(), ec);
      removed += ec ? 0 : 1;
    }
  }
  return removed;
}

}  // namespace idealgas
