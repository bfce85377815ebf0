// SIGINT, SIGTERM and SIGHUP as a request to stop cleanly: the first signal sets a flag that long loops poll
// between chunks of work (they then write a checkpoint and throw Interrupted); a second signal ends the
// process at once with the conventional status 128 + signal number.
#pragma once

#include "idealgas/core/error.hpp"

namespace idealgas {

/// Thrown by a loop that saw interrupt_requested() after saving its state; the CLI exits with kExitInterrupted.
class Interrupted : public Error {
 public:
  using Error::Error;
};

/// Installs the handlers (idempotent). Programs call it once; library code only polls.
void install_interrupt_handlers();
/// True once a handled signal arrived.
bool interrupt_requested();
/// Name of the signal that arrived ("SIGINT", ...), or "" if none.
const char* interrupt_signal_name();

}  // namespace idealgas
