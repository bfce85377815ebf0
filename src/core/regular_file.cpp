#include "idealgas/core/regular_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// pread/pwrite take an off_t: offsets past its range cannot name a byte of any file.
void check_offset(std::uint64_t offset, std::size_t n, const std::string& path) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
  if (offset > kMax || n > kMax - offset)
    throw IoError(fmt::format("{}: offset {} + {} bytes is past the largest file offset", path, offset, n));
}

}  // namespace

RegularFile::RegularFile(const std::string& path, Mode mode) : path_(path) {
  if (path.empty()) throw InputError("the file name is empty; expected the path of a file");
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting (and is then refused below);
  // on a regular file the flag changes nothing.
  const int flags = (mode == Mode::read ? O_RDONLY : O_RDWR | O_CREAT) | O_NONBLOCK | O_CLOEXEC;
  fd_ = ::open(path.c_str(), flags, 0644);
  if (fd_ < 0) {
    const int err = errno;
    if (err == ENXIO)  // a FIFO opened for writing without a reader, or a socket
      throw InputError(fmt::format("{} is not a regular file (a FIFO or socket); give a regular file", path));
    throw IoError(fmt::format("cannot open {}{}: {}; check the path and its permissions", path,
                              mode == Mode::read ? "" : " for writing", std::strerror(err)));
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw IoError(fmt::format("cannot read {}: {}", path, std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw InputError(fmt::format("{} is {}, not a regular file; idealgas reads its inputs only from regular files "
                                 "(copy or save the data to one and pass that)",
                                 path, kind_of(st.st_mode)));
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t RegularFile::read_some(void* dst, std::size_t n, std::uint64_t offset) const {
  check_offset(offset, n, path_);
  auto* p = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("cannot read {}: {}", path_, std::strerror(errno)));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

void RegularFile::read_exact(void* dst, std::size_t n, std::uint64_t offset, const char* what) const {
  if (read_some(dst, n, offset) != n)
    throw IoError(fmt::format("{}: truncated .npy file (it ends inside the {}); re-save it with "
                              "numpy.save(path, array)",
                              path_, what));
}

void RegularFile::write_exact(const void* src, std::size_t n, std::uint64_t offset) const {
  check_offset(offset, n, path_);
  const auto* p = static_cast<const unsigned char*>(src);
  while (n > 0) {
    const ssize_t put = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
    if (put < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("cannot write {}: {}; is the disk full?", path_, std::strerror(errno)));
    }
    if (put == 0) throw IoError(fmt::format("cannot write {}: no byte written; is the disk full?", path_));
    p += put;
    n -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
}

}  // namespace idealgas
