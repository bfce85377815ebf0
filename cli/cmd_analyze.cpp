// idealgas analyze DIR [MORE...]: the grid tables and checks of a sweep folder (and of shard folders of the same
// grid) or of a reproduce iso folder: sigma^2 and its collapse, T, V1-V4, V3 as the paper's Table 4 with bootstrap
// SEs, Z = PV/(RT) per configuration. The library does it (sweep/folder_analysis.hpp); this file prints a digest.
#include <cmath>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/sweep/folder_analysis.hpp"
#include "parse_args.hpp"

namespace idealgas::cli {

namespace {

struct AnalyzeOptions {
  std::vector<std::string> dirs;
  std::string bootstrap = "1000";  // as written; parsed strictly
};

double num(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

std::string pm(double v, double se) {
  if (!std::isfinite(v)) return "—";
  return std::isfinite(se) ? fmt::format("{:.4g} ± {:.2g}", v, se) : fmt::format("{:.4g}", v);
}

void print_grid(const nlohmann::json& g) {
  std::printf("\n%s grid%s: %d x %d, d = %lld, most replicas per point %lld, %zu point(s) without a result\n",
              g["protocol"].get<std::string>().c_str(),
              g["group"].get<std::string>().empty() ? "" : (" [" + g["group"].get<std::string>() + "]").c_str(),
              g["n_first"].get<int>(), g["n_second"].get<int>(), g["d"].get<long long>(),
              g["max_replicas"].get<long long>(), g["points_without_result"].size());
  const nlohmann::json& s = g["sigma2_collapse"];
  if (s["constant"].get<bool>())
    std::printf("  sigma2      %.6g everywhere (the model's): the collapse is exact\n", num(s, "sigma2_min"));
  else if (!s["error"].get<std::string>().empty())
    std::printf("  sigma2      in [%.4g, %.4g]; collapse not tested: %s\n", num(s, "sigma2_min"), num(s, "sigma2_max"),
                s["error"].get<std::string>().c_str());
  else
    std::printf("  sigma2      in [%.4g, %.4g]; about a curve of %s: residual sd of log sigma2 %.3g; slope along %s "
                "%s (%.1f SE from 0)\n",
                num(s, "sigma2_min"), num(s, "sigma2_max"), s["variable"].get<std::string>().c_str(),
                num(s, "residual_sd"), s["other_variable"].get<std::string>().c_str(),
                pm(num(s, "other_slope"), num(s, "other_slope_se")).c_str(), num(s, "other_slope_z"));
  std::printf("  T           in [%.4g, %.4g]\n", num(g["temperature"], "min"), num(g["temperature"], "max"));
  const nlohmann::json& v1 = g["v1"];
  if (v1.contains("error")) {
    std::printf("  V1          not evaluated: %s\n", v1["error"].get<std::string>().c_str());
  } else {
    const std::string q = v1["quantity"].get<std::string>();
    if (v1.contains("meaning")) std::printf("  V1          %s\n", v1["meaning"].get<std::string>().c_str());
    std::printf("  V1 %-8s max |measured/prediction - 1|: SDE %s in its regime (%s), discrete %s over the grid, "
                "one-step %s; rows beyond 3 SE of one-step: %d\n",
                q.c_str(), pm(num(v1["sde_in_regime"], "max_abs_rel_err"), num(v1["sde_in_regime"], "rel_err_se")).c_str(),
                v1["regime_rule"].get<std::string>().c_str(),
                pm(num(v1["discrete_all"], "max_abs_rel_err"), num(v1["discrete_all"], "rel_err_se")).c_str(),
                pm(num(v1["one_step_all"], "max_abs_rel_err"), num(v1["one_step_all"], "rel_err_se")).c_str(),
                v1["n_beyond_3_se"].get<int>());
  }
  const nlohmann::json& v2 = g["v2"];
  if (v2.contains("applicable"))
    std::printf("  V2          %s\n", v2["reason"].get<std::string>().c_str());
  else if (v2.contains("error"))
    std::printf("  V2          not evaluated: %s\n", v2["error"].get<std::string>().c_str());
  else
    std::printf("  V2          potential minimum at the reference or a neighbour: %.0f %% (exactly: %.0f %%)\n",
                100 * num(v2["all_summary"], "pass_rate"), 100 * num(v2["all_summary"], "exact_rate"));
  const nlohmann::json& t4 = g["table4"];
  if (!t4["error"].get<std::string>().empty()) {
    std::printf("  V3          not evaluated: %s\n", t4["error"].get<std::string>().c_str());
  } else {
    std::printf("  V3 Table 4  (SE: fit / bootstrap over %s, %d of %d resamples)\n",
                t4["resampling"].get<std::string>().c_str(), t4["n_used"].get<int>(), t4["n_bootstrap"].get<int>());
    for (const nlohmann::json& v : t4["values"]) {
      const double ols = num(v, "ols_se");
      std::printf("              %-20s %10.4g ± %-8s / %-8.2g target %g\n", v["name"].get<std::string>().c_str(),
                  num(v, "value"), std::isfinite(ols) ? fmt::format("{:.2g}", ols).c_str() : "—",
                  num(v, "bootstrap_se"), num(v, "target"));
    }
  }
  const nlohmann::json& parts = g["table4_parts"];
  if (parts.is_object() && parts.contains("values")) {
    std::printf("  V3 parts    S = S(rho_w_hat) + (d-1) log r: the coefficients of each part (adjacent-neighbour share "
                "of the queues: mean %.2f, max %.2f)\n",
                num(parts, "adjacent_nn_fraction_mean"), num(parts, "adjacent_nn_fraction_max"));
    for (const nlohmann::json& v : parts["values"])
      std::printf("              %-20s radius %s, angular %s\n", v["name"].get<std::string>().c_str(),
                  pm(num(v, "radius"), num(v, "radius_se")).c_str(), pm(num(v, "angular"), num(v, "angular_se")).c_str());
  }
  const nlohmann::json& v4 = g["v4"];
  if (v4.contains("applicable"))
    std::printf("  V4          %s\n", v4["reason"].get<std::string>().c_str());
  else if (v4.contains("summary"))
    std::printf("  V4 adiabat  max |dS/dlog lambda|/R along eta = const: %s\n",
                pm(num(v4["summary"], "max_abs_slope_over_R"), num(v4["summary"], "slope_over_R_se")).c_str());
  const nlohmann::json& z = g["compressibility"];
  std::printf("  Z = PV/RT   mean %.5g over %d configurations; largest |Z - 1| %s (Z = %s); largest |Z - 1|/SE %.2g\n",
              num(z, "mean"), z["n"].get<int>(), pm(num(z, "max_abs_Z_minus_1"), num(z, "at_max_Z_se")).c_str(),
              pm(num(z, "at_max_Z"), num(z, "at_max_Z_se")).c_str(), num(z, "max_abs_Z_minus_1_over_se"));
  std::printf("              %s\n", z["verdict"].get<std::string>().c_str());
  for (const nlohmann::json& c : g["replica_calibration"])
    if (c["n_points"].get<int>() > 0)
      std::printf("  replicas    %-10s sd over reported SE %.2f (%d points)\n", c["quantity"].get<std::string>().c_str(),
                  num(c, "sd_over_se"), c["n_points"].get<int>());
}

void run_analyze(const AnalyzeOptions& o) {
  GridAnalysisOptions options;
  options.table4.n_bootstrap = static_cast<int>(parse_count("--bootstrap", o.bootstrap, 0, 1'000'000));
  std::vector<std::filesystem::path> others;
  for (std::size_t k = 1; k < o.dirs.size(); ++k) others.emplace_back(require_output_folder("DIR", o.dirs[k]));
  FolderAnalysis a = analyse_folder(require_output_folder("DIR", o.dirs.front()), others, job_kinds(), options);
  write_folder_analysis(a);
  std::printf("analysis of %s (%s): %zu grid(s)\n", o.dirs.front().c_str(), a.source.c_str(), a.grids.size());
  for (const nlohmann::json& g : a.json["grids"]) print_grid(g);
  std::printf("\nresults:");
  for (const auto& f : a.files) std::printf(" %s", f.c_str());
  std::printf("\n");
}

}  // namespace

void setup_analyze(CLI::App& app) {
  auto opts = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "analyze", "Grid tables and checks (sigma2 collapse, T, V1-V4, Table 4 with bootstrap SEs, Z) of a results folder");
  cmd->add_option("DIR", opts->dirs, "A sweep folder (then any shard folders of the same grid) or a reproduce iso folder")
      ->required();
  cmd->add_option("--bootstrap", opts->bootstrap, "Bootstrap resamples for the Table 4 SEs [1000]");
  cmd->callback([opts] { run_analyze(*opts); });
}

}  // namespace idealgas::cli
