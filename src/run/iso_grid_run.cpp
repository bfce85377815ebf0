#include "idealgas/run/iso_grid_run.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "idealgas/core/interrupt.hpp"

namespace idealgas {

namespace {

using Clock = std::chrono::steady_clock;

// Chunks of the grid's longest run between progress reports, checkpoint-time checks and signal polls.
constexpr long long kChunks = 400;
constexpr long long kMinChunk = 1000;

}  // namespace

IsoGrid run_iso_grid(const IsoConfig& config, Protocol p, const std::filesystem::path& ckpt,
                     const std::function<void(const IsoProgress&)>& progress) {
  IsoGrid grid = std::filesystem::exists(ckpt) ? IsoGrid::load_checkpoint(ckpt.string(), config, p)
                                               : IsoGrid(config, p);
  IsoProgress report;
  report.protocol = p;
  report.resumed_from = grid.iteration();
  const long long total = grid.max_iterations();
  const long long chunk = std::max(kMinChunk, total / kChunks);
  const auto start = Clock::now();
  auto last_save = start;
  const double work_total = grid.work_total(), work_start = grid.work_done();
  while (!grid.finished()) {
    grid.advance_to(std::min(total, grid.iteration() + chunk));
    const auto now = Clock::now();
    const bool interrupted = interrupt_requested();
    if (interrupted || grid.finished() ||
        std::chrono::duration<double>(now - last_save).count() >= config.checkpoint_seconds) {
      grid.save_checkpoint(ckpt.string());
      last_save = now;
    }
    if (interrupted)
      throw Interrupted(fmt::format("{} received: the {} grid is saved at iteration {} of {} in {}; run the same "
                                    "command again to resume",
                                    interrupt_signal_name(), protocol_name(p), grid.iteration(), total, ckpt.string()));
    if (progress) {
      report.elapsed_seconds = std::chrono::duration<double>(now - start).count();
      const double done = grid.work_done();
      report.fraction = done / work_total;
      report.eta_seconds = report.elapsed_seconds / std::max(1.0, done - work_start) * (work_total - done);
      report.finished = grid.finished();
      progress(report);
    }
  }
  return grid;
}

}  // namespace idealgas
