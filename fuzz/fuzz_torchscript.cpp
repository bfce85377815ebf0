// libFuzzer target: bytes as a TorchScript module file (a PyTorch zip archive) given as model.path, loaded by
// train::TorchScriptModel as `idealgas train` and `check-si` load it: the source check of the archive's code records
// (before anything runs), torch::jit::load, the graph check of every compiled function, the parameters (tied ones
// counted once, partly overlapping ones refused), the rule, the buffers. Seeds (corpus/torchscript/): a small
// scale-invariant ConvNet, tied weights, and a module calling torch.from_file (refused); the SI parameters are found
// by the rule (docs/train.md). An input passes when it loads or is refused with idealgas::Error; anything else (another exception, a crash, a
// sanitizer report) is a failure. LibTorch itself is not instrumented: reports inside it are LibTorch's.
#include <cstddef>
#include <cstdint>

#include <ATen/ATen.h>

#include "fuzz_input_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/train/torchscript_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static idealgas::fuzz::InputFile file;
  idealgas::train::NetworkSpec spec;
  spec.arch = idealgas::train::Architecture::torchscript;
  spec.in_channels = 1;
  spec.classes = 10;
  spec.channels_last = false;
  spec.script_path = file.write(data, size);
  try {
    idealgas::train::TorchScriptModel model(spec, at::Device(at::kCPU));
    (void)model.describe();
  } catch (const idealgas::Error&) {
    // refused with a message: a pass
  }
  return 0;
}
