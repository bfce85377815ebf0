// Where knn_gram computes its Gram products. By default: OpenBLAS on the CPU (knn_gram.cpp). A GramProducts
// computes them elsewhere, e.g. LibTorch on a GPU (include/idealgas/gpu/torch_gram.hpp, in idealgas_torch), behind
// this torch-free interface, so that idealgas_lib never includes LibTorch.
//
// The contract that keeps knn_gram exact (its rounding bound, gram_error_factor, assumes it; docs/entropy.md):
// G = sum over the panels p, one at a time, of fl(P_p P_p^T), every panel product a sum of its w products in any
// order in IEEE arithmetic of the product precision, and each panel result added to G in that precision. Then
// |fl(G_ij) - sum_k a_ik a_jk| <= gamma_{w+P}(u) sum_k |a_ik a_jk|. A reduced-precision format (TF32: 10-bit
// mantissa, u = 2^-11 instead of 2^-24) or accumulating the panels inside one long GEMM (each product then passes
// through up to m additions, not w + P) breaks the bound, and neighbours could be missed.
#pragma once

#include <cstddef>
#include <string>

#include "idealgas/measure/knn_exact.hpp"

namespace idealgas {

class GramProducts {
 public:
  virtual ~GramProducts() = default;
  /// Where the products run, as recorded in results ("cpu", "cuda:0").
  virtual std::string device() const = 0;
  /// Starts a new G = 0 of n x n values in `precision` (any previous one is discarded).
  virtual void begin(std::size_t n, GramPrecision precision) = 0;
  /// G += P P^T for one panel of the centred points, in the precision given to begin() (the matching overload).
  virtual void add_panel(const float* panel,  // [n, w], row-major
                         std::size_t w) = 0;
  virtual void add_panel(const double* panel,  // [n, w], row-major
                         std::size_t w) = 0;
  /// Writes G (at least its upper triangle) and frees the device memory it held.
  virtual void finish(float* gram) = 0;   // [n, n], row-major
  virtual void finish(double* gram) = 0;  // [n, n], row-major
};

}  // namespace idealgas
