// Results are written atomically: to a temporary file in the same folder, flushed, then renamed over the
// target, so a run killed at any moment leaves either the old file or the new one, never a torn one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace idealgas {

/// Writes `contents` to `path` atomically; creates missing parent folders. Throws IoError naming the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

/// Largest record or config read whole (run.json, summary.json, grid.toml, a TOML config): far above any that
/// idealgas writes, and small enough that a huge (sparse) file is refused instead of exhausting memory.
inline constexpr std::uint64_t kMaxRecordBytes = std::uint64_t{64} << 20;
/// Largest table read whole (a grid's summary.csv: about 1 KB per configuration, so 10^6 configurations fit).
inline constexpr std::uint64_t kMaxTableBytes = std::uint64_t{1} << 30;
/// Largest binary file read whole (checkpoints, models): half the physical memory, at least kMaxTableBytes.
std::uint64_t max_binary_file_bytes();

/// Reads a whole regular file of at most `max_bytes` (RegularFile: a FIFO, a device such as a link to /dev/zero,
/// a socket or a folder is refused at once, never waited on). Throws InputError naming the path if it is not a
/// regular file or is larger than `max_bytes`, IoError if it cannot be opened or read.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes = kMaxRecordBytes);

}  // namespace idealgas
