// Checked integer arithmetic for sizes and schedules computed from user input: an overflow is bad input (the
// product of two settings does not fit), reported as InputError naming what was being computed, never a wrap.
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

template <class T>
T checked_mul(std::string_view what, T a, T b) {
  T out;
  if (__builtin_mul_overflow(a, b, &out))
    throw InputError(fmt::format("{} = {} x {} does not fit in a {}-bit integer; use smaller values", what, a, b,
                                 8 * sizeof(T)));
  return out;
}

template <class T>
T checked_add(std::string_view what, T a, T b) {
  T out;
  if (__builtin_add_overflow(a, b, &out))
    throw InputError(fmt::format("{} = {} + {} does not fit in a {}-bit integer; use smaller values", what, a, b,
                                 8 * sizeof(T)));
  return out;
}

}  // namespace idealgas
