#include "own_program.hpp"

#include <system_error>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/utf8.hpp"

namespace idealgas::cli {

std::filesystem::path own_program() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw IoError(fmt::format("cannot find this program's path (/proc/self/exe: {})", ec.message()));
  // Recorded in every job's command (failure.json, Slurm scripts): it must be UTF-8 like every recorded path.
  require_utf8("this program's path", self.string());
  return self;
}

}  // namespace idealgas::cli
