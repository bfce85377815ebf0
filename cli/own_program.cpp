#include "own_program.hpp"

#include <system_error>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::cli {

std::filesystem::path own_program() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw IoError(fmt::format("cannot find this program's path (/proc/self/exe: {})", ec.message()));
  return self;
}

}  // namespace idealgas::cli
