// idealgas entropy FILE.npy [--rotate]: spherical Kozachenko-Leonenko entropy (nats) of a queue of weight
// snapshots, one sample per row (theory.md §5). Prints one JSON object.
#include <memory>
#include <string>

#include "commands.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/spherical_entropy.hpp"

namespace idealgas::cli {
namespace {

struct EntropyOptions {
  std::string file;
  bool rotate = false;
};

void run_entropy(const EntropyOptions& opt) {
  const NpyMatrix samples = read_npy(opt.file);
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = opt.rotate;
  const SphericalEntropyResult r = spherical_entropy(samples.data.data(), samples.rows, samples.cols, options);
  nlohmann::json out;
  out["file"] = opt.file;
  out["dtype"] = npy_dtype_descr(samples.dtype);
  out["units"] = "nats";
  out["rotated"] = r.rotated;
  out["n"] = r.n;
  out["n_distinct"] = r.n_distinct;
  out["duplicates"] = r.duplicates;
  out["dim"] = r.dim;
  out["m"] = r.m;
  out["angle_entropy"] = r.angle_entropy;
  out["mean_log_jacobian"] = r.mean_log_jacobian;
  out["spherical_entropy"] = r.spherical_entropy;
  out["mean_radius"] = r.mean_radius;
  out["log_radius_term"] = r.log_radius_term;
  out["total_entropy"] = r.total_entropy;
  out["adjacent_nn_fraction"] = r.adjacent_nn_fraction;
  print_json(out);
}

}  // namespace

void setup_entropy(CLI::App& app) {
  auto opt = std::make_shared<EntropyOptions>();
  CLI::App* sub = app.add_subcommand(
      "entropy",
      "Spherical KL entropy (nats) of weight snapshots in a .npy file (rows = samples, float32/float64, C order): "
      "S(rho_w_hat) = H(phi) + E[log J] and the total S + (d-1) log r_bar");
  sub->add_option("file", opt->file, "2-D .npy array [n_samples, dim]")->required();
  sub->add_flag("--rotate", opt->rotate,
                "first reflect the samples so that their mean direction lies far from the coordinate singular set "
                "(poles and the cut of the last angle); default: coordinates as given (the paper's convention)");
  sub->callback([opt] { run_entropy(*opt); });
}

}  // namespace idealgas::cli
