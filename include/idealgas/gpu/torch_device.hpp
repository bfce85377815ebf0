// The LibTorch device of a run ("cpu", "cuda", "cuda:N"), checked once, and the numerics every idealgas
// computation on it uses: TF32 off in cuBLAS and cuDNN, cuDNN deterministic with its autotuner off (docs/cuda.md).
//
// Why TF32 off: TF32 rounds float32 matmul/convolution inputs to a 10-bit mantissa (u = 2^-11 instead of 2^-24).
// A squared distance formed from Gram products, |a|^2 + |b|^2 - 2 a.b, then carries an error of ~5e-4 (|a| + |b|)^2,
// larger than the distances between nearby snapshots themselves in high dimension, and it breaks the rounding
// bound of the exact neighbour search (gram_products.hpp); in training it perturbs every gradient by ~1e-3 relative,
// which moves the measured noise (Tr Sigma) and the equilibrium radius away from what the float32 CPU run gives.
// LibTorch enables TF32 in cuDNN by default (and in cuBLAS before 1.12).
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace idealgas {

/// Parses `name` (cpu | cuda | cuda:N; "cuda" is cuda:0) given through `what` (the flag or key as messages write it
/// before the quoted value: "--device", "train.device ="),
/// checks that this LibTorch can use it, and sets the numerics above. InputError naming `what` and the value
/// otherwise, e.g. for cuda with a CPU-only LibTorch or no visible GPU.
c10::Device open_torch_device(const std::string& what, const std::string& name);

/// Whether TF32 is off in both cuBLAS and cuDNN (what open_torch_device sets), for run records and tests.
bool torch_tf32_disabled();

}  // namespace idealgas
