// Two error channels (as in faiss' FaissAssert.h):
//  - InputError: bad input from a user or a caller (config values, files, CLI flags). The message names
//    the offending value and what was expected; the CLI prints it on one line and exits non-zero.
//  - IDEALGAS_ASSERT: an internal invariant; a failure is a bug in idealgas, never the user's fault.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace idealgas {

/// Base of every error that is not a bug: the message is meant for the user, on one line.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input from the user or a caller; message says what was wrong and what was expected.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written; message names the file and suggests a fix.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A run left its stationary regime or produced non-finite numbers (NaN, radius collapse).
class DivergenceError : public Error {
 public:
  using Error::Error;
};

/// Throws InputError unless `value` is finite and > 0. Returns `value`.
double require_positive(std::string_view name, double value);
/// Throws InputError unless `value` is finite and >= 0. Returns `value`.
double require_non_negative(std::string_view name, double value);
/// Throws InputError unless `d >= 2` (a sphere S^{d-1} needs at least two coordinates). Returns `d`.
long long require_dimension(std::string_view name, long long d);

[[noreturn]] void assertion_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace idealgas

/// Internal invariant (kept in release builds: the checks are cheap and outside hot loops).
#define IDEALGAS_ASSERT(cond, msg)                                                   \
  do {                                                                               \
    if (!(cond)) ::idealgas::assertion_failed(#cond, __FILE__, __LINE__, (msg));     \
  } while (0)
