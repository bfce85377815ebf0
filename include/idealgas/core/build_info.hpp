// What every result folder records about the program that wrote it: version, git revision, compiler,
// library versions and the machine (hostname, cores).
#pragma once

#include <nlohmann/json.hpp>

namespace idealgas {

/// {"idealgas_version", "git_revision", "compiler", "build_type", "libraries": {...}, "host": {...}}
nlohmann::json build_info();

}  // namespace idealgas
