// idealgas entropy FILE.npy [options]: Kozachenko-Leonenko entropy (nats) of a queue of weight snapshots, one
// sample per row (theory.md §5; docs/entropy.md), from an .npy or snapshot file of float32/float64 values read in
// blocks (files larger than memory work within --budget-mb). Prints one JSON object with the estimate, its
// standard error and the time spent.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>

#include "commands.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/npy_stream.hpp"

namespace idealgas::cli {
namespace {

struct EntropyCliOptions {
  std::string file;
  bool rotate = false;
  bool euclidean = false;
  bool naive = false;
  int k = 1;
  long long exclude_window = 0;
  std::string precision = "float32";
  double budget_mb = 0;
  std::string rows;
  int se_batches = 20;
};

// "A:B" (rows A..B-1), "A:" (A to the end) or "" (all) into (first, count); count 0 means to the end.
std::pair<std::size_t, std::size_t> parse_rows(const std::string& s) {
  if (s.empty()) return {0, 0};
  const std::size_t colon = s.find(':');
  auto number = [&](const std::string& t) -> long long {
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != t.size() || v < 0)
      throw InputError(fmt::format("--rows '{}': expected A:B with row numbers 0 <= A < B (B may be omitted)", s));
    return v;
  };
  if (colon == std::string::npos) throw InputError(fmt::format("--rows '{}': expected A:B or A:", s));
  const long long a = number(s.substr(0, colon));
  if (colon + 1 == s.size()) return {static_cast<std::size_t>(a), 0};
  const long long b = number(s.substr(colon + 1));
  if (b <= a) throw InputError(fmt::format("--rows '{}': expected A < B", s));
  return {static_cast<std::size_t>(a), static_cast<std::size_t>(b - a)};
}

void run_entropy(const EntropyCliOptions& opt) {
  if (opt.exclude_window < 0)
    throw InputError(fmt::format("--exclude-window must be >= 0, got {}", opt.exclude_window));
  if (!(opt.budget_mb >= 0) || !std::isfinite(opt.budget_mb))
    throw InputError(
        fmt::format("--budget-mb must be a finite number >= 0 (0: half the memory), got {}", opt.budget_mb));
  EntropyOptions o;
  o.rotate = opt.rotate;
  o.euclidean = opt.euclidean;
  o.naive = opt.naive;
  o.k = opt.k;
  o.exclude_window = static_cast<std::size_t>(opt.exclude_window);
  o.precision = parse_gram_precision(opt.precision);
  o.budget_bytes = static_cast<std::size_t>(opt.budget_mb * 1048576.0);
  o.se_batches = opt.se_batches;
  if (opt.rotate && opt.euclidean)
    throw InputError("--rotate applies to the spherical estimate; drop it with --euclidean");
  const auto [first, count] = parse_rows(opt.rows);
  const NpyLayout layout = read_npy_layout(opt.file);
  const EntropyEstimate r = estimate_entropy_npy(opt.file, o, first, count);

  nlohmann::json out;
  out["file"] = opt.file;
  out["dtype"] = npy_dtype_descr(layout.dtype);
  out["units"] = "nats";
  out["estimator"] = r.euclidean ? "euclidean" : "spherical";
  out["rotated"] = r.rotated;
  out["first_row"] = first;
  out["n"] = r.n;
  out["n_distinct"] = r.n_distinct;
  out["duplicates"] = r.duplicates;
  out["dim"] = r.dim;
  out["m"] = r.m;
  out["k"] = r.k;
  out["exclude_window"] = r.exclude_window;
  out["angle_entropy"] = r.euclidean ? nlohmann::json() : nlohmann::json(r.angle_entropy);
  out["mean_log_jacobian"] = r.mean_log_jacobian;
  out["spherical_entropy"] = r.spherical_entropy;
  out["mean_radius"] = r.mean_radius;
  out["log_radius_term"] = r.log_radius_term;
  out["total_entropy"] = r.total_entropy;
  out["adjacent_nn_fraction"] = r.adjacent_nn_fraction;
  out["se"] = r.se;
  out["se_iid"] = r.se_iid;
  out["total_se"] = r.total_se;
  out["se_method"] = fmt::format(
      "batch means of the per-sample terms over {} contiguous batches of the queue (consecutive snapshots are "
      "correlated); se_iid = sd/sqrt(N) of the same terms",
      r.se_batches);
  out["precision"] = gram_precision_name(r.precision);
  out["neighbours"] = r.neighbours;
  out["mode"] = r.mode;
  out["budget_mb"] = static_cast<double>(r.budget_bytes) / 1048576.0;
  out["io_cols"] = r.io_cols;
  out["mean_candidates"] = r.mean_candidates;
  out["exact_pairs"] = r.exact_pairs;
  out["timing"] = {{"seconds_total", r.seconds_total},
                   {"seconds_io", r.seconds_io},
                   {"seconds_coordinates", r.seconds_coordinates},
                   {"seconds_gram", r.seconds_gram},
                   {"seconds_select", r.seconds_select},
                   {"seconds_exact", r.seconds_exact}};
  print_json(out);
}

}  // namespace

void setup_entropy(CLI::App& app) {
  auto opt = std::make_shared<EntropyCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "entropy",
      "Kozachenko-Leonenko entropy (nats) of weight snapshots in an .npy or snapshot file (rows = samples, "
      "float32/float64, C order): by default the spherical estimate S(rho_w_hat) = H(phi) + E[log J] and the total "
      "S + (d-1) log r_bar, with standard errors; exact neighbours by Gram blocks (docs/entropy.md)");
  sub->add_option("file", opt->file, "2-D .npy array [n_samples, dim] (or a snapshot file)")->required();
  sub->add_option("--k", opt->k, "neighbour order k of the estimator, 1..10 (digamma form for k > 1)")->default_val(1);
  sub->add_option("--exclude-window", opt->exclude_window,
                  "ignore neighbours fewer than W rows apart in the queue (consecutive snapshots are correlated); "
                  "0 or 1: none")
      ->default_val(0);
  sub->add_option("--precision", opt->precision,
                  "float32 or float64 Gram products; the result is the same (exact recomputation), float64 only "
                  "needs fewer recomputations")
      ->default_val("float32");
  sub->add_option("--budget-mb", opt->budget_mb,
                  "memory for the estimator's buffers in MiB; when the angles of all rows do not fit, the file is "
                  "read in column blocks twice; 0: half the physical memory")
      ->default_val(0);
  sub->add_flag("--euclidean", opt->euclidean, "plain KL on the raw vectors instead of the spherical estimate");
  sub->add_flag("--rotate", opt->rotate,
                "first reflect the samples so that their mean direction lies far from the coordinate singular set "
                "(poles and the cut of the last angle); default: coordinates as given (the paper's convention)");
  sub->add_flag("--naive", opt->naive, "exhaustive O(N^2 d) neighbour search (the reference; needs N^2 doubles)");
  sub->add_option("--rows", opt->rows, "rows A:B (A to B-1) or A: (A to the end) of the file; default all");
  sub->add_option("--se-batches", opt->se_batches, "batches of the batch-means standard error")->default_val(20);
  sub->callback([opt] { run_entropy(*opt); });
}

}  // namespace idealgas::cli
