// One file per subcommand (CLI11's subcom_in_files pattern): each registers its options on the app and
// runs from a plain options struct; the library never sees argv.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "idealgas/measure/gram_products.hpp"
#include "idealgas/sweep/job_kind.hpp"

namespace idealgas::cli {

void setup_theory(CLI::App& app);     // cmd_theory.cpp:    idealgas theory {vmf,stationary,uniform}
void setup_entropy(CLI::App& app);    // cmd_entropy.cpp:   idealgas entropy FILE.npy
void setup_reproduce(CLI::App& app);  // cmd_reproduce.cpp: idealgas reproduce iso
void setup_report(CLI::App& app);     // cmd_report.cpp:    idealgas report DIR
void setup_simulate(CLI::App& app);   // cmd_simulate.cpp:  idealgas simulate iso CONFIG --out DIR
void setup_sweep(CLI::App& app);      // cmd_sweep.cpp:     idealgas sweep CONFIG, sweep merge, sweep status
void setup_analyze(CLI::App& app);    // cmd_analyze.cpp:   idealgas analyze DIR
// LibTorch's commands. LibTorch takes ~0.8 s to load (2 s under ASan), so they live in a second program,
// idealgas-torch, built beside idealgas from the same sources plus these; idealgas runs it for them
// (torch_forward.cpp), and every other command starts in milliseconds.
void setup_train(CLI::App& app);      // cmd_train.cpp:     idealgas train
void setup_check_si(CLI::App& app);   // cmd_check_si.cpp:  idealgas check-si
inline constexpr const char* kTrainSummary =
    "Train a scale-invariant network with one protocol and measure its stationary state (docs/train.md)";
inline constexpr const char* kCheckSiSummary =
    "Measure whether a network (built-in or your TorchScript module) is scale-invariant in its SI parameters: "
    "largest relative output change over scaling factors (docs/train.md)";

/// idealgas (without LibTorch): lists train and check-si, and runs idealgas-torch in this process's place (exec) when
/// the command line needs LibTorch: train, check-si, entropy --device other than blas. Returns when it does not.
void setup_torch_forwarding(CLI::App& app);
void run_torch_program_if_needed(int argc, char** argv);

/// entropy --device DEVICE: the Gram products on a LibTorch device (entropy_device.cpp in idealgas-torch).
std::unique_ptr<GramProducts> device_gram_products(const std::string& flag, const std::string& device);

/// The command line this process was started with (recorded in result folders), shell-quoted.
const std::string& invocation();

/// Exit codes of the program (docs/outputs.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitBug = 1;          // an internal error: a bug in idealgas
inline constexpr int kExitBadInput = 2;     // bad input or an unreadable/unwritable file; nothing was written
inline constexpr int kExitDiverged = 3;     // finished, but some configurations have no measurement
inline constexpr int kExitInterrupted = 4;  // SIGINT/SIGTERM/SIGHUP: state saved; rerun the command to resume
inline constexpr int kExitNotScaleInvariant = 5;  // check-si: measured, and not scale-invariant

/// Thrown by a command whose result is an exit status of its own (after printing it); main returns `code`.
struct ExitWith {
  int code;
};

/// A string as a TOML basic string ("..." with JSON escapes), for --set values built from user input.
std::string toml_quote(const std::string& s);

/// The job kinds this program runs in sweeps (cmd_sweep.cpp): iso, and train where the trainer is built in.
JobKinds job_kinds();

/// Prints `value` on stdout, indented, floats in shortest round-trip form (NaN becomes null).
void print_json(const nlohmann::json& value);

}  // namespace idealgas::cli
