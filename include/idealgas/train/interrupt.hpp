// SIGINT / SIGTERM / SIGHUP during a run: the first signal asks the run to stop at the next safe point (after
// the current step or log point), write its checkpoint and say how to resume; a second signal exits at once
// with status 128 + signal number. Installed for the lifetime of a StopOnSignal object.
#pragma once

namespace idealgas::train {

class StopOnSignal {
 public:
  StopOnSignal();   // installs the handlers
  ~StopOnSignal();  // restores the previous ones
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  /// The first signal received (0: none).
  static int received();
};

/// Exit status of a run stopped by `signal`: 128 + signal (130 for SIGINT, 143 for SIGTERM), as shells report.
inline int interrupted_exit_code(int signal) { return 128 + signal; }

}  // namespace idealgas::train
