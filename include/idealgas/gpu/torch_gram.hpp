// knn_gram's Gram products through LibTorch (at::mm) on a CPU or CUDA device, behind the torch-free GramProducts
// interface (gram_products.hpp), so that `idealgas entropy --device cuda` runs the N^2 m part of the exact
// neighbour search on a GPU while the rest (candidates, exact recomputation, the KL formula) stays as it is: the
// neighbours and the entropy are bit for bit those of the OpenBLAS path; only the number of recomputations can
// differ. TF32 is off (torch_device.hpp), so float32 products are IEEE float32 and the rounding bound holds.
#pragma once

#include <memory>
#include <string>

#include "idealgas/measure/gram_products.hpp"

namespace idealgas {

/// Products on `device` (cpu | cuda | cuda:N), named in messages by `what` (e.g. "--device"). InputError when this
/// LibTorch cannot use the device (torch_device.hpp). Device memory: 2 n^2 values of the product precision + one
/// panel; running out is an InputError that says how much was needed.
std::unique_ptr<GramProducts> make_torch_gram_products(const std::string& what, const std::string& device);

}  // namespace idealgas
