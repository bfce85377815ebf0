// Suggestions for mistyped names in configs and flags.
#pragma once

#include <string>
#include <vector>

namespace idealgas {

/// " (did you mean 'x'?)" for the closest of `known` within two edits (Levenshtein) of `key`, or "".
std::string did_you_mean(const std::string& key, const std::vector<std::string>& known);

}  // namespace idealgas
