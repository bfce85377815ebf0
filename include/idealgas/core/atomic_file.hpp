// Results are written atomically: to a temporary file in the same folder, flushed, then renamed over the
// target, so a run killed at any moment leaves either the old file or the new one, never a torn one.
#pragma once

#include <filesystem>
#include <string_view>

namespace idealgas {

/// Writes `contents` to `path` atomically; creates missing parent folders. Throws IoError naming the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

/// Reads a whole file; throws IoError naming the path if it cannot be opened or read.
std::string read_file(const std::filesystem::path& path);

}  // namespace idealgas
