// libFuzzer target: the isotropic grid's checkpoint reader (IsoGrid::load_checkpoint) on crafted bodies. The harness
// writes the magic and a CRC recomputed over the fuzzed body, so the reader's own checks behind the CRC are what is
// fuzzed (issue "Reliability": crafted checkpoints with a recomputed CRC and iteration -5 or 10^15 were accepted).
// The first byte picks the protocol; the configuration is fuzz_checkpoint_config(), the one the seeds were written
// for. An input passes when it loads (and the grid then advances) or is refused with idealgas::Error.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_input_file.hpp"
#include "idealgas/core/crc32.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace {

idealgas::IsoConfig fuzz_checkpoint_config() {
  idealgas::IsoConfig c;
  c.grid = 2;
  c.threads = 1;
  c.schedule.kind = idealgas::ScheduleKind::paper;
  c.schedule.iterations = 400;
  c.schedule.log_stride = 10;
  c.schedule.stationary_logs = 20;
  c.schedule.queue_size = 8;
  c.schedule.queue_stride = 10;
  c.schedule.entropy_stride = 50;
  c.schedule.entropy_window = 3;
  return c;
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static idealgas::fuzz::InputFile file;
  static const idealgas::IsoConfig config = fuzz_checkpoint_config();
  if (size < 1) return 0;
  const idealgas::Protocol protocol = static_cast<idealgas::Protocol>(data[0] % 3);
  std::string bytes(idealgas::kIsoCheckpointMagic, sizeof idealgas::kIsoCheckpointMagic);
  const std::uint32_t crc = idealgas::crc32_of(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  bytes.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  bytes.append(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string& path = file.write(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  try {
    idealgas::IsoGrid grid = idealgas::IsoGrid::load_checkpoint(path, config, protocol);
    grid.advance_to(grid.max_iterations());  // a loaded state must run on without a sanitizer report
  } catch (const idealgas::Error&) {
  }
  return 0;
}

#ifdef IDEALGAS_FUZZ_WRITE_SEEDS
// Writes the seed corpus: real checkpoints of the harness' configuration at a few iterations, body only.
#include <fstream>
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const idealgas::IsoConfig config = fuzz_checkpoint_config();
  int n = 0;
  for (int p = 0; p < 3; ++p)
    for (long long at : {0LL, 37LL, 250LL, 400LL}) {
      idealgas::IsoGrid grid(config, static_cast<idealgas::Protocol>(p));
      grid.advance_to(at);
      const std::string tmp = std::string(argv[1]) + "/tmp.bin";
      grid.save_checkpoint(tmp);
      std::ifstream in(tmp, std::ios::binary);
      std::string all((std::istreambuf_iterator<char>(in)), {});
      std::ofstream out(std::string(argv[1]) + "/seed_" + std::to_string(n++), std::ios::binary);
      out << static_cast<char>(p) << all.substr(12);
      std::remove(tmp.c_str());
    }
  return 0;
}
#endif
