// .npy files too large for memory: the header alone (shape, dtype, where the data starts), reads of column blocks
// of rows with pread, and the snapshot file the trainer appends to. A snapshot file is an ordinary .npy (version
// 1.0, '<f4' or '<f8', C order) whose header has a fixed length of kSnapshotHeaderBytes and is rewritten in
// place after rows are appended (docs/entropy.md): numpy.load reads it at any moment; a crash between appending a
// row and rewriting the header leaves trailing bytes, which numpy and read_npy ignore.
// Errors as in npy_header.hpp: IoError for unreadable or corrupt files, InputError for valid but unsupported content
// or for a path that is not a regular file (a FIFO is refused at once, never waited on).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "idealgas/measure/npy.hpp"

namespace idealgas {

/// Total header length (magic to '\n') of a snapshot file: room for a shape of two 20-digit numbers.
constexpr std::size_t kSnapshotHeaderBytes = 128;

class RegularFile;

/// Reads blocks of an .npy file without loading it: rows [r0, r1), columns [c0, c1), widened to double. One
/// pread per row; safe to call from several threads at once.
class NpyBlockReader {
 public:
  /// Opens the file once and checks its layout (npy_header.hpp).
  explicit NpyBlockReader(const std::string& path);
  ~NpyBlockReader();
  NpyBlockReader(const NpyBlockReader&) = delete;
  NpyBlockReader& operator=(const NpyBlockReader&) = delete;

  const NpyLayout& layout() const { return layout_; }
  const std::string& path() const;
  /// Drop the bytes read from the page cache (for files read once per pass that do not fit in memory anyway:
  /// they would only push other processes' pages out).
  void set_drop_cache(bool drop) { drop_cache_ = drop; }
  /// out[(r - r0) * ld + (c - c0)] = value(r, c) for r0 <= r < r1 <= rows, c0 <= c < c1 <= cols (asserted: callers
  /// check their ranges against layout()). `scratch` holds (c1 - c0) * item_bytes bytes.
  void read(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, double* out,
            std::size_t ld,  // [r1 - r0, ld], row-major
            unsigned char* scratch) const;

 private:
  std::unique_ptr<RegularFile> file_;
  NpyLayout layout_;
  bool drop_cache_ = false;
};

/// Appends rows to a snapshot file (see the top of this file). Opening an existing file continues it (a regular
/// file with a valid header of kSnapshotHeaderBytes; its dtype and column count must match; bytes after the last
/// complete row are discarded).
class NpySnapshotWriter {
 public:
  NpySnapshotWriter(const std::string& path, std::size_t cols, NpyDtype dtype);
  ~NpySnapshotWriter();
  NpySnapshotWriter(const NpySnapshotWriter&) = delete;
  NpySnapshotWriter& operator=(const NpySnapshotWriter&) = delete;

  /// Appends one row (float32 files round each value to the nearest float) and rewrites the header.
  void append(const double* row);  // [cols]
  /// fsync of data and header.
  void flush();
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }

 private:
  void write_header();
  std::unique_ptr<RegularFile> file_;
  std::size_t cols_;
  NpyDtype dtype_;
  std::size_t rows_ = 0;
};

}  // namespace idealgas
