#include "idealgas/core/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/memory.hpp"
#include "idealgas/core/regular_file.hpp"

namespace idealgas {

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    throw IoError(fmt::format("cannot create folder {}: {}; check the path and its permissions",
                              path.parent_path().string(), ec.message()));
  const std::string tmp = path.string() + fmt::format(".tmp.{}", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw IoError(fmt::format("cannot write {}: {}; check the folder exists and is writable", tmp,
                              std::strerror(errno)));
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw IoError(fmt::format("cannot write {}: {}; is the disk full?", tmp, std::strerror(err)));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("cannot flush {}: {}; is the disk full?", tmp, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("cannot rename {} to {}: {}", tmp, path.string(), std::strerror(err)));
  }
}

std::uint64_t max_binary_file_bytes() {
  return std::max(kMaxTableBytes, static_cast<std::uint64_t>(physical_memory_bytes() / 2));
}

std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  const RegularFile file(path.string(), RegularFile::Mode::read);
  const auto too_large = [&](std::uint64_t size) {
    return InputError(fmt::format("{} holds {} bytes, more than the {} bytes idealgas reads from such a file; it is "
                                  "not a file idealgas wrote: move it away or pass the right file",
                                  path.string(), size, max_bytes));
  };
  if (file.size_at_open() > max_bytes) throw too_large(file.size_at_open());
  // Read to the end rather than to the size seen at open: the file may have grown since, and must still fit.
  std::string contents(static_cast<std::size_t>(file.size_at_open()), '\0');
  std::size_t done = file.read_some(contents.data(), contents.size(), 0);
  contents.resize(done);
  char chunk[1 << 16];
  while (const std::size_t got = file.read_some(chunk, sizeof chunk, done)) {
    if (done + got > max_bytes) throw too_large(done + got);
    contents.append(chunk, got);
    done += got;
  }
  return contents;
}

}  // namespace idealgas
