// idealgas entropy FILE.npy [options]: Kozachenko-Leonenko entropy (nats) of a queue of weight snapshots, one
// sample per row (docs/theory.md §5; docs/entropy.md), from an .npy or snapshot file of float32/float64 values read in
// blocks (files larger than memory work within --budget-mb). Prints one JSON object with the estimate, its
// standard error and the time spent.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <regex>
#include <string>
#include <utility>

#include "commands.hpp"
#include "parse_args.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/npy_stream.hpp"

namespace idealgas::cli {
namespace {

// Every option is kept as written and parsed here, strictly: a value is used exactly as given or refused with one
// line naming the flag, the value and what is accepted (never truncated, saturated, rounded or replaced by a
// default).
struct EntropyCliOptions {
  std::string file;
  bool rotate = false;
  bool euclidean = false;
  bool naive = false;
  std::string k = "1";
  std::string exclude_window = "0";
  std::string precision = "float32";
  std::string budget_mb = "0";
  std::string rows;
  std::string se_batches = "20";
  std::string device = "blas";
};

// --budget-mb: 0 means the default (half the physical memory); any other value is a bound in MiB, honoured to the
// byte (rounded down to whole bytes: it is an upper bound). Less than one byte or more than 2^64 bytes is refused.
std::size_t parse_budget_bytes(const std::string& text) {
  const double mb = parse_decimal("--budget-mb", text);
  if (mb == 0.0) return 0;
  const double bytes = std::floor(mb * 1048576.0);
  if (bytes < 1.0)
    throw InputError(fmt::format("--budget-mb '{}': less than one byte; expected 0 (half the physical memory) or a "
                                 "budget of at least 1 byte (9.6e-7 MiB)",
                                 text));
  if (bytes >= 18446744073709551616.0)
    throw InputError(fmt::format("--budget-mb '{}': more than 2^64 bytes; expected 0 (half the physical memory) or a "
                                 "budget below 2^44 MiB",
                                 text));
  return static_cast<std::size_t>(bytes);
}

// "A:B" (rows A..B-1), "A:" (A to the end) or "" (all) into (first, count); count 0 means to the end.
std::pair<std::size_t, std::size_t> parse_rows(const std::string& s) {
  if (s.empty()) return {0, 0};
  const std::size_t colon = s.find(':');
  if (colon == std::string::npos)
    throw InputError(fmt::format("--rows '{}': expected A:B (rows A to B-1) or A: (A to the end), 0 <= A < B", s));
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t a = parse_count("--rows (first row A of A:B)", s.substr(0, colon), 0, max);
  if (colon + 1 == s.size()) return {a, 0};
  const std::uint64_t b = parse_count("--rows (end B of A:B)", s.substr(colon + 1), 0, max);
  if (b <= a) throw InputError(fmt::format("--rows '{}': expected A < B", s));
  return {a, b - a};
}

void run_entropy(const EntropyCliOptions& opt) {
  if (opt.file.empty()) throw InputError("FILE is empty; expected the path of an .npy or snapshot file");
  EntropyOptions o;
  o.rotate = opt.rotate;
  o.euclidean = opt.euclidean;
  o.naive = opt.naive;
  o.k = static_cast<int>(parse_count("--k", opt.k, 1, kMaxNeighbours));
  o.exclude_window = parse_count("--exclude-window", opt.exclude_window, 0, std::numeric_limits<std::uint64_t>::max());
  if (opt.precision != "float32" && opt.precision != "float64")
    throw InputError(fmt::format("--precision '{}': expected float32 or float64", opt.precision));
  o.precision = parse_gram_precision(opt.precision);
  o.budget_bytes = parse_budget_bytes(opt.budget_mb);
  o.se_batches = static_cast<int>(parse_count("--se-batches", opt.se_batches, 2, std::numeric_limits<int>::max()));
  if (opt.rotate && opt.euclidean)
    throw InputError("--rotate applies to the spherical estimate; drop it with --euclidean");
  const auto [first, count] = parse_rows(opt.rows);
  // --device: blas (OpenBLAS, the default) or a LibTorch device (cpu, cuda, cuda:N) for the Gram products.
  std::unique_ptr<GramProducts> products;
  if (opt.device != "blas") {
    if (opt.naive)
      throw InputError(fmt::format("--device '{}' runs the Gram products, which --naive does not compute; drop one "
                                   "of them",
                                   opt.device));
    products = device_gram_products("--device", opt.device);  // InputError for an unknown or unusable device
    o.gram_products = products.get();
  }
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
  out["gram_device"] = r.gram_device.empty() ? nlohmann::json() : nlohmann::json(r.gram_device);
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
  sub->add_option("--k", opt->k, "neighbour order k of the estimator, an integer 1..10 (digamma form for k > 1)")
      ->capture_default_str();
  sub->add_option("--exclude-window", opt->exclude_window,
                  "ignore neighbours fewer than W rows apart in the queue (consecutive snapshots are correlated); an "
                  "integer >= 0; 0 or 1: none")
      ->capture_default_str();
  sub->add_option("--precision", opt->precision,
                  "float32 or float64 Gram products; the result is the same (exact recomputation), float64 only "
                  "needs fewer recomputations")
      ->capture_default_str();
  sub->add_option("--budget-mb", opt->budget_mb,
                  "memory for the estimator's buffers in MiB (a decimal number >= 1 byte); when the angles of all rows "
                  "do not fit, the file is read in column blocks twice; 0: half the physical memory")
      ->capture_default_str();
  sub->add_flag("--euclidean", opt->euclidean, "plain KL on the raw vectors instead of the spherical estimate");
  sub->add_flag("--rotate", opt->rotate,
                "first reflect the samples so that their mean direction lies far from the coordinate singular set "
                "(poles and the cut of the last angle); default: coordinates as given (the paper's convention)");
  sub->add_option("--device", opt->device,
                  "where the Gram products run: blas (OpenBLAS on the CPU), or through LibTorch on cpu, cuda or cuda:N "
                  "(float64 or float32 as --precision says, TF32 off); the result is the same on every device "
                  "(docs/cuda.md)")
      ->capture_default_str();
  sub->add_flag("--naive", opt->naive, "exhaustive O(N^2 d) neighbour search (the reference; needs N^2 doubles)");
  sub->add_option("--rows", opt->rows, "rows A:B (A to B-1) or A: (A to the end) of the file; default all");
  sub->add_option("--se-batches", opt->se_batches, "batches of the batch-means standard error, an integer >= 2")
      ->capture_default_str();
  sub->callback([opt] { run_entropy(*opt); });
}

}  // namespace idealgas::cli
