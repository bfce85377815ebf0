#include "idealgas/gpu/torch_gram.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/gpu/torch_device.hpp"

namespace idealgas {
namespace {

template <class T>
constexpr at::ScalarType scalar_type() {
  return std::is_same_v<T, float> ? at::kFloat : at::kDouble;
}

class TorchGramProducts final : public GramProducts {
 public:
  TorchGramProducts(const std::string& what, const std::string& device)
      : what_(what), device_(open_torch_device(what, device)) {}

  std::string device() const override { return device_.str(); }

  void begin(std::size_t n, GramPrecision precision) override {
    n_ = n;
    type_ = precision == GramPrecision::float32 ? at::kFloat : at::kDouble;
    gram_ = at::Tensor();
    panel_product_ = at::Tensor();
    guarded([&] {
      const auto options = at::TensorOptions().dtype(type_).device(device_);
      gram_ = at::empty({rows(), rows()}, options);
      panel_product_ = at::empty({rows(), rows()}, options);
    });
    first_panel_ = true;
  }

  void add_panel(const float* panel, std::size_t w) override { add(panel, w); }
  void add_panel(const double* panel, std::size_t w) override { add(panel, w); }
  void finish(float* gram) override { copy_out(gram); }
  void finish(double* gram) override { copy_out(gram); }

 private:
  long long rows() const { return static_cast<long long>(n_); }

  // Runs f, turning LibTorch's errors (out of device memory above all) into one line naming the device.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const c10::Error& e) {
      const double need_gib = (2.0 * static_cast<double>(n_) * static_cast<double>(n_)) *
                              static_cast<double>(at::elementSize(type_)) / (1024.0 * 1024.0 * 1024.0);
      const std::string first_line(e.what_without_backtrace(), 0,
                                   std::string(e.what_without_backtrace()).find('\n'));
      throw InputError(fmt::format("{} '{}': the Gram products of {} rows (about {:.3g} GiB on the device) failed: {}",
                                   what_, device_.str(), n_, need_gib, first_line));
    }
  }

  template <class T>
  void add(const T* panel, std::size_t w) {
    IDEALGAS_ASSERT(gram_.defined() && scalar_type<T>() == type_, "GramProducts::add_panel before begin() or in the "
                                                                   "wrong precision");
    guarded([&] {
      // from_blob does not copy: on the CPU the product reads the caller's panel (valid during the call); .to()
      // copies it to a GPU synchronously.
      const at::Tensor host = at::from_blob(const_cast<T*>(panel), {rows(), static_cast<long long>(w)}, type_);
      const at::Tensor p = host.to(device_);
      // One product per panel (inner dimension w), then one addition per panel into G: the order of operations
      // the rounding bound counts. Accumulating with beta = 1 inside the GEMM would let a product pass through
      // up to m additions.
      if (first_panel_) {
        at::mm_out(gram_, p, p.t());
        first_panel_ = false;
      } else {
        at::mm_out(panel_product_, p, p.t());
        gram_.add_(panel_product_);
      }
    });
  }

  template <class T>
  void copy_out(T* out) {
    IDEALGAS_ASSERT(gram_.defined() && scalar_type<T>() == type_ && !first_panel_,
                    "GramProducts::finish without begin() and a panel, or in the wrong precision");
    guarded([&] { at::from_blob(out, {rows(), rows()}, type_).copy_(gram_); });  // synchronises with the device
    gram_ = at::Tensor();
    panel_product_ = at::Tensor();
  }

  std::string what_;
  c10::Device device_;
  std::size_t n_ = 0;
  at::ScalarType type_ = at::kDouble;
  at::Tensor gram_;           // [n, n] on device_
  at::Tensor panel_product_;  // [n, n] on device_: P P^T of the current panel
  bool first_panel_ = true;
};

}  // namespace

std::unique_ptr<GramProducts> make_torch_gram_products(const std::string& what, const std::string& device) {
  return std::make_unique<TorchGramProducts>(what, device);
}

}  // namespace idealgas
