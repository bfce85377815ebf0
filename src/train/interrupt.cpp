#include "idealgas/train/interrupt.hpp"

#include <csignal>

#include <unistd.h>

namespace idealgas::train {

namespace {

volatile std::sig_atomic_t g_received = 0;
struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void on_signal(int signal) {
  if (g_received != 0) _exit(128 + signal);  // second signal: leave now (async-signal-safe)
  g_received = signal;
}

}  // namespace

StopOnSignal::StopOnSignal() {
  g_received = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART needed: the loop polls the flag
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &g_previous[i]);
}

StopOnSignal::~StopOnSignal() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

int StopOnSignal::received() { return static_cast<int>(g_received); }

}  // namespace idealgas::train
