// libFuzzer target: the training run's checkpoint reader (train::load_checkpoint, src/train/run_state.cpp) on crafted
// bodies. As fuzz_checkpoint does for the isotropic grid, the harness writes the magic and a CRC recomputed over the
// fuzzed body, so the reader's own checks behind the CRC are what is fuzzed. The dimensions are fixed
// (kDim weights, kRunning BatchNorm values, kIterations, queues of 4 and 3 snapshots); the configuration the reader
// compares with is the one the body names, so that inputs get past that comparison to the state behind it. A loaded
// state is then used as a resumed run uses it: a snapshot pushed into each queue, an entropy estimated when full.
// An input passes when it loads (and its queues work) or is refused with idealgas::Error.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_input_file.hpp"
#include "idealgas/core/crc32.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/train/run_state.hpp"

namespace {

constexpr long long kDim = 6, kRunning = 4, kIterations = 200;

idealgas::train::RunState ring_template() {
  idealgas::train::RunState s;
  s.paper_queue = idealgas::train::SnapshotRing(4, kDim, 1);
  s.decorrelated_queue = idealgas::train::SnapshotRing(3, kDim, 1);
  return s;
}

/// The configuration string at the head of the body (u64 length + bytes), parsed; null if there is none.
nlohmann::json named_config(const std::uint8_t* body, std::size_t size) {
  std::uint64_t n = 0;
  if (size < sizeof n) return nullptr;
  std::memcpy(&n, body, sizeof n);
  if (n > size - sizeof n) return nullptr;
  return nlohmann::json::parse(body + sizeof n, body + sizeof n + n, nullptr, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static idealgas::fuzz::InputFile file;
  static const idealgas::train::RunState ring = ring_template();
  const nlohmann::json config = named_config(data, size);
  if (config.is_discarded()) return 0;
  std::string bytes(idealgas::train::kTrainCheckpointMagic, sizeof idealgas::train::kTrainCheckpointMagic);
  const std::uint32_t crc = idealgas::crc32_of(std::string_view(reinterpret_cast<const char*>(data), size));
  bytes.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  bytes.append(reinterpret_cast<const char*>(data), size);
  const std::string& path = file.write(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  try {
    idealgas::train::LoadedCheckpoint c = idealgas::train::load_checkpoint(path, config, kDim, kRunning, kIterations, ring);
    const std::vector<float> row = {0.5f, -0.25f, 1.0f, 0.125f, -2.0f, 0.75f};
    for (idealgas::train::SnapshotRing* q : {&c.state.paper_queue, &c.state.decorrelated_queue}) {
      if (!q->enabled()) continue;
      q->push(row.data());
      if (q->full()) q->queue().estimate();
    }
  } catch (const idealgas::Error&) {
  }
  return 0;
}

#ifdef IDEALGAS_FUZZ_WRITE_SEEDS
// Writes the seed corpus: checkpoints of a plausible run at a few iterations, body only (fuzz/README.md).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const nlohmann::json config = {{"model", {{"arch", "convnet"}, {"width", 1}}}, {"train", {{"iterations", kIterations}}}};
  int n = 0;
  for (long long at : {0LL, 7LL, 60LL, 200LL}) {
    idealgas::train::RunState s = ring_template();
    s.iteration = at;
    std::vector<double> weights(kDim);
    for (long long i = 0; i < kDim; ++i) weights[i] = std::sin(1.0 + static_cast<double>(i + at));
    std::vector<float> running(kRunning, 0.5f);
    for (long long t = 1; t <= at; ++t) {
      if (t % 10 == 0) s.running.push_back({t, 1.0, 1.0, 0.5, 0.25, 0.01, 1.0, 0.25});
      if (t % 50 == 0) {
        idealgas::train::LogRecord l;
        l.iteration = t;
        s.logs.push_back(l);
      }
      if (t % 5 == 0) {
        std::vector<float> row(kDim);
        for (long long i = 0; i < kDim; ++i) row[i] = static_cast<float>(std::cos(0.3 * static_cast<double>(t + i)));
        s.paper_queue.push(row.data());
        s.decorrelated_queue.push(row.data());
      }
      s.loss.add(1.0 / static_cast<double>(t), 10);
    }
    s.block_count = at % 10;
    const std::string tmp = std::string(argv[1]) + "/tmp.bin";
    idealgas::train::save_checkpoint(tmp, config, weights, running, s);
    std::ifstream in(tmp, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(std::string(argv[1]) + "/seed_" + std::to_string(n++), std::ios::binary) << all.substr(12);
    std::remove(tmp.c_str());
  }
  return 0;
}
#endif
