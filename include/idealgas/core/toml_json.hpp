// Configs move between TOML (what users write, what run folders keep) and JSON (what the program records and
// compares): a TOML table as a JSON object and back, values kept exactly (integers as 64-bit integers, floats in
// shortest round-trip form with a '.' or exponent so that they stay floats, strings escaped), so that
// TOML -> JSON -> TOML -> JSON gives the same values bit for bit.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace idealgas {

/// A TOML document as a JSON object (tables -> objects, arrays -> arrays). Throws InputError naming `source`, the
/// line and column if the text is not TOML, and the key if it holds a date or time (no setting takes one).
nlohmann::json toml_text_to_json(const std::string& toml_text, const std::string& source);

/// One value as TOML text: booleans, integers, floats (nan, inf, -inf as TOML writes them), strings, arrays and
/// objects (as inline tables).
std::string toml_value_text(const nlohmann::json& value);

/// A JSON object as a TOML document: its non-object members as `key = value` lines, then each object member as a
/// [section] (nested: [a.b]). Keys that are not bare TOML keys are quoted.
std::string json_to_toml_text(const nlohmann::json& object);

}  // namespace idealgas
