// Submission of a job script to Slurm by running the `sbatch` program (found on PATH; the cluster is the
// one SLURM_CONF or /etc/slurm names, as for any sbatch call). Scripts come from sweep/slurm_script.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace idealgas {

/// Submits `script` with `sbatch --parsable` (plus `--dependency=afterok:ID` when `after_ok` is given: the
/// job starts only once every task of job ID has succeeded) and returns the new job's id. Throws Error, on
/// one line, if sbatch is not on PATH, exits non-zero or by a signal (its stderr included), or prints no
/// job id. Waits for sbatch to finish (sbatch has its own timeouts for an unreachable controller).
std::uint32_t sbatch_submit(const std::filesystem::path& script, std::optional<std::uint32_t> after_ok = std::nullopt);

}  // namespace idealgas
