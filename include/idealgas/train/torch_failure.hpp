// LibTorch's failures (c10::Error and the standard exceptions it lets through) as one line for the user, blaming
// what failed: only a failure to allocate memory suggests smaller batches (issue 18: every failure used to end in
// "lower batch_size"). Header-only: included by the LibTorch-linked code that reports failures (the train and
// check-si commands, the training run).
#pragma once

#include <exception>
#include <new>
#include <string>

#include <c10/util/Exception.h>

namespace idealgas::train {

/// True for LibTorch's out-of-memory errors (CUDA's c10::OutOfMemoryError, the CPU allocator's "can't allocate
/// memory") and std::bad_alloc.
inline bool is_out_of_memory(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr || dynamic_cast<const c10::OutOfMemoryError*>(&e) != nullptr)
    return true;
  const std::string what = e.what();
  for (const char* sign : {"can't allocate memory", "Cannot allocate memory", "out of memory", "Out of Memory"})
    if (what.find(sign) != std::string::npos) return true;
  return false;
}

/// "LibTorch failed: <first line of the message, without LibTorch's backtrace>", and for an out-of-memory error
/// "; memory ran out: lower train.batch_size or measure.eval_chunk".
inline std::string torch_failure_message(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string what = c10_error != nullptr ? c10_error->what_without_backtrace() : e.what();
  what = what.substr(0, what.find('\n'));
  std::string message = "LibTorch failed: " + (what.empty() ? std::string("no message") : what);
  if (is_out_of_memory(e)) message += "; memory ran out: lower train.batch_size or measure.eval_chunk";
  return message;
}

}  // namespace idealgas::train
