#include "idealgas/gpu/torch_device.hpp"

#include <ATen/Context.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

constexpr std::size_t kMaxIndexDigits = 3;  // cuda:0 .. cuda:999 (as train.device accepts)

// The index N of "cuda:N", or -1 for "cuda"; InputError for anything else that is not "cpu".
int parse_cuda_index(const std::string& what, const std::string& name) {
  if (name == "cuda") return -1;
  const std::string prefix = "cuda:";
  const std::string digits = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : std::string();
  if (digits.empty() || digits.size() > kMaxIndexDigits || digits.find_first_not_of("0123456789") != std::string::npos)
    throw InputError(fmt::format("{} '{}': expected cpu, cuda or cuda:N (N the GPU index, 0 to 999)", what, name));
  return std::stoi(digits);  // at most 3 digits: no overflow
}

void set_exact_numerics() {
  at::Context& ctx = at::globalContext();
  ctx.setAllowTF32CuBLAS(false);  // also sets the float32 matmul precision to "highest"
  ctx.setAllowTF32CuDNN(false);
  ctx.setDeterministicCuDNN(true);  // same algorithms, same bits, from run to run
  ctx.setBenchmarkCuDNN(false);
}

}  // namespace

c10::Device open_torch_device(const std::string& what, const std::string& name) {
  if (name == "cpu") {
    set_exact_numerics();
    return c10::Device(c10::kCPU);
  }
  const int index = parse_cuda_index(what, name);
  if (!torch::cuda::is_available())
    throw InputError(fmt::format("{} '{}': this LibTorch ({}) was built without CUDA or sees no GPU; use cpu, or build "
                                 "idealgas against a CUDA LibTorch (CMAKE_PREFIX_PATH, docs/cuda.md)",
                                 what, name, TORCH_VERSION));
  const int gpus = static_cast<int>(torch::cuda::device_count());
  if (index >= gpus) throw InputError(fmt::format("{} '{}': only {} GPU(s) visible (cuda:0 .. cuda:{})", what, name, gpus, gpus - 1));
  set_exact_numerics();
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
}

bool torch_tf32_disabled() {
  const at::Context& ctx = at::globalContext();
  return !ctx.allowTF32CuBLAS() && !ctx.allowTF32CuDNN();
}

}  // namespace idealgas
