#include "idealgas/core/toml_json.hpp"

#include <cmath>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {

nlohmann::json table_to_json(const toml::table& table, const std::string& source);

nlohmann::json node_to_json(const toml::node& node, const std::string& key, const std::string& source) {
  if (const toml::table* t = node.as_table()) return table_to_json(*t, source);
  if (const toml::array* a = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const toml::node& element : *a) out.push_back(node_to_json(element, key, source));
    return out;
  }
  if (node.is_string()) return node.value<std::string>().value();
  if (node.is_integer()) return node.value<long long>().value();
  if (node.is_floating_point()) return node.value<double>().value();
  if (node.is_boolean()) return node.value<bool>().value();
  throw InputError(fmt::format("{}: key '{}' holds a date or time, which no setting takes", source, key));
}

nlohmann::json table_to_json(const toml::table& table, const std::string& source) {
  nlohmann::json out = nlohmann::json::object();
  for (auto&& [key, node] : table) out[std::string(key.str())] = node_to_json(node, std::string(key.str()), source);
  return out;
}

bool is_bare_key(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

std::string key_text(const std::string& key) { return is_bare_key(key) ? key : nlohmann::json(key).dump(); }

void write_table(const nlohmann::json& object, const std::string& prefix, std::string& out) {
  for (auto it = object.begin(); it != object.end(); ++it)
    if (!it.value().is_object()) out += key_text(it.key()) + " = " + toml_value_text(it.value()) + "\n";
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!it.value().is_object()) continue;
    const std::string name = prefix.empty() ? key_text(it.key()) : prefix + "." + key_text(it.key());
    out += (out.empty() ? "[" : "\n[") + name + "]\n";
    write_table(it.value(), name, out);
  }
}

}  // namespace

nlohmann::json toml_text_to_json(const std::string& toml_text, const std::string& source) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: not valid TOML: {}", source, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  return table_to_json(table, source);
}

std::string toml_value_text(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    std::string s = fmt::format("{}", d);  // shortest round-trip
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // a TOML float, not an integer
    return s;
  }
  if (v.is_string()) return v.dump();  // JSON string escapes are valid TOML basic-string escapes
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t k = 0; k < v.size(); ++k) out += (k ? ", " : "") + toml_value_text(v[k]);
    return out + "]";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it, first = false)
      out += (first ? " " : ", ") + key_text(it.key()) + " = " + toml_value_text(it.value());
    return out + (first ? "}" : " }");
  }
  return "\"\"";  // null: TOML has none; configs never hold it
}

std::string json_to_toml_text(const nlohmann::json& object) {
  IDEALGAS_ASSERT(object.is_object(), "json_to_toml_text needs an object");
  std::string out;
  write_table(object, "", out);
  return out;
}

}  // namespace idealgas
