// libFuzzer target: the records idealgas reads back from run and sweep folders, which a user, a colleague or a
// killed process may have left in any state. The first byte picks the file, the rest is its content, written into a
// scratch folder laid out as idealgas lays out its folders, and read by the readers that `sweep status`, `merge`,
// `analyze`, `report` and a rerun use (through read_file: the regular-file reader with its size limit):
//   0  DIR/grid.toml              read_sweep_grid; for grids of <= kMaxExpanded configurations expand_grid and
//                                 collect_sweep (every run folder's state)
//   1  DIR/runs/<id>/summary.json read_run_summary, configuration_status, collect_sweep of the fixed grid
//   2  ISO/run.json               check_run_record, holds_own_run_record, load_iso_run_folder (reproduce iso's folder)
//   3  DIR/runs/<id>/meta.json    read_json_object (a train run's record, as the sweep report reads it)
//   4  DIR/sweep.json             read_json_object (the sweep's status view, as --restart's checks read records)
//   5  DIR/runs/<id>/failure.json configuration_status (why the last attempt failed)
// Every input must give a result or an idealgas::Error; anything else (another exception, a crash, a sanitizer
// report, a hang) is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/core/error.hpp"
#include "idealgas/report/iso_run_folder.hpp"
#include "idealgas/run/run_record.hpp"
#include "idealgas/sweep/job_kind.hpp"
#include "idealgas/sweep/run_summary.hpp"
#include "idealgas/sweep/sweep_folder.hpp"
#include "idealgas/sweep/sweep_table.hpp"

namespace {

namespace fs = std::filesystem;

// Larger grids are parsed and sized but not expanded: a fuzz input must stay fast.
constexpr long long kMaxExpanded = 64;

// The fixed sweep folder of selectors 1, 3, 4, 5: one iso configuration.
constexpr const char* kGrid =
    "kind = \"iso\"\n[base]\nprotocol = \"lr\"\nlambda = 0.05\niterations = 20000\n[[axis]]\nkey = \"eta\"\n"
    "values = [0.05]\n";

struct Scratch {
  fs::path root, sweep, iso, run;
  idealgas::JobKinds kinds{{&idealgas::iso_job_kind()}};
  idealgas::GridConfig grid;
  std::vector<idealgas::SweepConfiguration> configurations;

  Scratch() {
    // In memory where the system has /dev/shm (10^6 inputs are 10^6 file writes), else under /tmp.
    char shm[] = "/dev/shm/idealgas_fuzz_run_folder.XXXXXX", tmp[] = "/tmp/idealgas_fuzz_run_folder.XXXXXX";
    if (::mkdtemp(shm) != nullptr) root = shm;
    else if (::mkdtemp(tmp) != nullptr) root = tmp;
    else std::abort();
    sweep = root / "sweep";
    iso = root / "iso";
    grid = idealgas::GridConfig::from_toml_string(kGrid, "fuzz grid");
    configurations = idealgas::expand_grid(grid, kinds.find(grid.kind, grid.source));
    run = idealgas::run_folder(sweep, configurations.front().id);
    fs::create_directories(run);
    fs::create_directories(iso / "lr");
    std::ofstream(sweep / idealgas::kSweepGridFile) << kGrid;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

void write(const fs::path& file, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();
}

template <typename F>
void refused_or_read(F&& f) {
  try {
    f();
  } catch (const idealgas::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Scratch s;
  if (size == 0) return 0;
  const int selector = data[0] % 6;
  ++data;
  --size;
  switch (selector) {
    case 0: {
      const fs::path dir = s.root / "grid";
      fs::create_directories(dir);
      write(dir / idealgas::kSweepGridFile, data, size);
      refused_or_read([&] {
        const idealgas::GridConfig g = idealgas::read_sweep_grid(dir);
        if (g.size() > kMaxExpanded) return;
        const auto configs = idealgas::expand_grid(g, s.kinds.find(g.kind, g.source));
        (void)idealgas::collect_sweep(dir, g, configs);
      });
      break;
    }
    case 1: {
      const fs::path file = s.run / idealgas::kRunSummaryFile;
      write(file, data, size);
      refused_or_read([&] { (void)idealgas::read_run_summary(file); });
      refused_or_read([&] { (void)idealgas::configuration_status(s.run); });
      refused_or_read([&] { (void)idealgas::collect_sweep(s.sweep, s.grid, s.configurations); });
      fs::remove(file);
      break;
    }
    case 2: {
      write(s.iso / "run.json", data, size);
      refused_or_read([&] { (void)idealgas::check_run_record(s.iso, nlohmann::json{{"d", 3}, {"seed", 42}}); });
      (void)idealgas::holds_own_run_record(s.iso, idealgas::kIsoJobName);  // never throws
      refused_or_read([&] { (void)idealgas::load_iso_run_folder(s.iso); });
      break;
    }
    case 3:
    case 4: {
      const fs::path file = selector == 3 ? s.run / "meta.json" : s.sweep / idealgas::kSweepStatusFile;
      write(file, data, size);
      refused_or_read([&] { (void)idealgas::read_json_object(file); });
      fs::remove(file);
      break;
    }
    case 5: {
      const fs::path file = s.run / idealgas::kRunFailureFile;
      write(file, data, size);
      refused_or_read([&] { (void)idealgas::configuration_status(s.run); });
      fs::remove(file);
      break;
    }
  }
  return 0;
}
