// One `idealgas train` run from config to results folder (docs/train.md): loads the data, builds the trainer,
// resumes from DIR/checkpoint.bin when it matches the config, trains with the measurement schedule, writes
//   DIR/config.toml    effective configuration (every setting; `idealgas train DIR/config.toml` reruns it)
//   DIR/meta.json      command, git revision, library versions, LibTorch, device, threads, seeds, data, memory
//   DIR/trace.csv      one row per log point (full-batch and test metrics, Tr Sigma, sigma2, T, entropy)
//   DIR/running.csv    one row every measure.running_stride iterations (batch loss, radius, gradient norm)
//   DIR/summary.json   status, d, protocol, hyperparameters, stationary averages with SEs and predictions, timing
//   DIR/checkpoint.bin complete state; a killed run resumes from it bitwise identically (same thread count)
// Every file is written atomically, under an exclusive lock of the folder (core/run_folder.hpp). Bad input is
// refused before anything is written. After SIGINT/SIGTERM/SIGHUP (core/interrupt.hpp) the run stops at the next
// step, writes its checkpoint and throws Interrupted; the same command resumes it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/train/train_config.hpp"

namespace idealgas::train {

struct RunOptions {
  std::string out;             // results folder (must not be empty)
  bool restart = false;        // discard this folder's checkpoint and results and start over
  bool quiet = false;          // no progress on stderr
  std::string command_line;    // recorded in meta.json
  std::string resume_command;  // named in the Interrupted message
};

enum class RunStatus { finished, diverged };

struct RunOutcome {
  RunStatus status = RunStatus::finished;
  std::string message;   // diverged: the reason
  nlohmann::json summary;  // summary.json (finished, diverged)
};

RunOutcome run_training(const TrainConfig& config, const RunOptions& options);

}  // namespace idealgas::train
