// One `idealgas train` run from config to results folder (docs/train.md): loads the data, builds the trainer,
// resumes from DIR/checkpoint.bin when it matches the config, trains with the measurement schedule, writes
//   DIR/config.toml    effective configuration (every setting; `idealgas train DIR/config.toml` reruns it)
//   DIR/meta.json      command, git revision, library versions, LibTorch, device, threads, seeds, data, memory
//   DIR/trace.csv      one row per log point (full-batch and test metrics, Tr Sigma, sigma2, T, entropy)
//   DIR/running.csv    one row every measure.running_stride iterations (batch loss, radius, gradient norm)
//   DIR/summary.json   status, d, protocol, hyperparameters, stationary averages with SEs and predictions, timing
//   DIR/checkpoint.bin complete state; a killed run resumes from it bitwise identically (same thread count)
// Every file is written atomically. Bad input is refused before anything is written. SIGINT/SIGTERM/SIGHUP stop
// the run at the next step with a checkpoint (train/interrupt.hpp).
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
  std::string resume_command;  // printed when a signal stops the run
};

enum class RunStatus { finished, diverged, interrupted };

struct RunOutcome {
  RunStatus status = RunStatus::finished;
  int signal = 0;        // interrupted: the signal
  std::string message;   // diverged: the reason; interrupted: what was saved and how to resume
  nlohmann::json summary;  // summary.json (finished, diverged)
};

RunOutcome run_training(const TrainConfig& config, const RunOptions& options);

}  // namespace idealgas::train
