// The path of the running executable, for the commands that start programs beside it (sweep jobs run this
// program; idealgas runs idealgas-torch from its own folder).
#pragma once

#include <filesystem>

namespace idealgas::cli {

/// From /proc/self/exe; IoError naming it when it cannot be read.
std::filesystem::path own_program();

}  // namespace idealgas::cli
