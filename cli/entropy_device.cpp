// idealgas-torch only: entropy --device on a LibTorch device (src/gpu/torch_gram.cpp).
#include "commands.hpp"
#include "idealgas/gpu/torch_gram.hpp"

namespace idealgas::cli {

std::unique_ptr<GramProducts> device_gram_products(const std::string& flag, const std::string& device) {
  return make_torch_gram_products(flag, device);
}

}  // namespace idealgas::cli
