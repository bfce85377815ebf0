// A file descriptor on a regular file, opened once: every input idealgas reads goes through it (.npy arrays, run
// folder records, configs, checkpoints; read_file in atomic_file.hpp). Opening never waits: a FIFO without a
// writer, a device (a link to /dev/zero), a socket or a directory is refused with an InputError naming the path and
// what it is (a FIFO would block a reader for ever, a device can grow without end, and random access needs a
// regular file). Reads and writes at an offset retry on EINTR and name the file in IoError messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace idealgas {

class RegularFile {
 public:
  enum class Mode { read, read_write_create };
  RegularFile(const std::string& path, Mode mode);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  /// Size when opened (the file may grow or shrink later; reads then fail cleanly).
  std::uint64_t size_at_open() const { return size_; }

  /// Reads exactly n bytes at `offset`; IoError "truncated .npy file (ends inside the <what>)" at end of file (the
  /// .npy readers are its only callers).
  void read_exact(void* dst, std::size_t n, std::uint64_t offset, const char* what) const;
  /// Reads up to n bytes at `offset`, fewer only at end of file; returns the count.
  std::size_t read_some(void* dst, std::size_t n, std::uint64_t offset) const;
  void write_exact(const void* src, std::size_t n, std::uint64_t offset) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace idealgas
