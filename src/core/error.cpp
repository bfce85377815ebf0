#include "idealgas/core/error.hpp"

#include <cmath>

#include <fmt/format.h>

namespace idealgas {

double require_positive(std::string_view name, double value) {
  if (!(std::isfinite(value) && value > 0.0))
    throw InputError(fmt::format("{} must be a positive finite number, got {}", name, value));
  return value;
}

double require_non_negative(std::string_view name, double value) {
  if (!(std::isfinite(value) && value >= 0.0))
    throw InputError(fmt::format("{} must be a finite number >= 0, got {}", name, value));
  return value;
}

long long require_dimension(std::string_view name, long long d) {
  if (d < 2)
    throw InputError(fmt::format("{} must be an integer >= 2 (the sphere S^(d-1) needs d >= 2), got {}",
                                 name, d));
  return d;
}

void assertion_failed(const char* expr, const char* file, int line, const std::string& msg) {
  throw std::logic_error(fmt::format("idealgas internal error (a bug, please report): {} failed at {}:{}: {}",
                                     expr, file, line, msg));
}

}  // namespace idealgas
