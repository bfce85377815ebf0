#include "idealgas/sweep/run_summary.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/analyse/compressibility.hpp"
#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/report/summary_json.hpp"

namespace idealgas {

namespace {

const nlohmann::json& member(const nlohmann::json& j, const char* key, const std::string& source) {
  const auto it = j.find(key);
  if (it == j.end()) throw InputError(fmt::format("{}: missing key '{}'", source, key));
  return *it;
}

double number(const nlohmann::json& j, const char* key, const std::string& source) {
  const nlohmann::json& v = member(j, key, source);
  if (!v.is_number()) throw InputError(fmt::format("{}: '{}' must be a number, got {}", source, key, v.dump()));
  return v.get<double>();
}

}  // namespace

RunSummary parse_run_summary(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(fmt::format("{}: a run summary is a JSON object", source));
  RunSummary s;
  s.json = j;
  const nlohmann::json& status = member(j, "status", source);
  if (!status.is_string() || (status != "finished" && status != "diverged"))
    throw InputError(fmt::format("{}: 'status' must be \"finished\" or \"diverged\", got {}", source, status.dump()));
  s.status = status.get<std::string>();
  if (s.status == "diverged") {
    const nlohmann::json& why = member(j, "divergence", source);
    s.divergence = why.is_string() ? why.get<std::string>() : why.dump();
  }
  const nlohmann::json& d = member(j, "d", source);
  if (!d.is_number_integer() || d.get<long long>() < 2)
    throw InputError(fmt::format("{}: 'd' must be an integer >= 2, got {}", source, d.dump()));
  s.d = d.get<long long>();
  const nlohmann::json& name = member(j, "protocol", source);
  const nlohmann::json& hp = member(j, "hyperparameters", source);
  if (!name.is_string() || !hp.is_object())
    throw InputError(fmt::format("{}: 'protocol' must be a name and 'hyperparameters' an object", source));
  try {
    const Protocol p = parse_protocol(name.get<std::string>());
    const char* first = p == Protocol::fixed_lr ? "eta" : "eta_eff";
    const char* second = p == Protocol::fixed_sphere ? "radius" : "lambda";
    s.protocol = ProtocolParams::make(p, number(hp, first, source + " hyperparameters"),
                                      number(hp, second, source + " hyperparameters"));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", source, e.what()));
  }

  const nlohmann::json& stationary = member(j, "stationary", source);
  StationaryRow& row = s.row;
  if (!stationary.is_null()) row = stationary_row_from_json(stationary, source);
  // The hyperparameter columns and the state variables a grid analysis needs, where the job left them out.
  const ProtocolParams& p = s.protocol;
  const bool sphere = p.kind == Protocol::fixed_sphere;
  row.eta = p.first();
  row.lambda = sphere ? kNaN : p.lambda;
  row.radius = sphere ? p.radius : kNaN;
  if (std::isnan(row.P)) row.P = sphere ? row.lambda_eff : p.lambda;
  if (std::isnan(row.V)) {
    if (sphere) {
      row.V = 0.5 * p.radius * p.radius;
      row.V_se = 0.0;
    } else if (stationary.is_object() && stationary.contains("r_sq_mean") && stationary["r_sq_mean"].is_number()) {
      row.V = 0.5 * stationary["r_sq_mean"].get<double>();  // its SE: first order from r's (compressibility.hpp)
    } else {
      row.V = 0.5 * row.r_mean * row.r_mean;
    }
  }
  if (std::isnan(row.Z)) {
    GridTable one;
    one.protocol = p.kind;
    one.d = s.d;
    const Compressibility z = compressibility(one, row);
    row.Z = z.Z;
    row.Z_se = z.Z_se;
  }
  return s;
}

RunSummary read_run_summary(const std::filesystem::path& file) {
  const nlohmann::json j = nlohmann::json::parse(read_file(file), nullptr, false);
  if (j.is_discarded()) throw InputError(fmt::format("{}: not valid JSON", file.string()));
  return parse_run_summary(j, file.string());
}

}  // namespace idealgas
