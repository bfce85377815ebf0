// idealgas: thermodynamics of SGD on scale-invariant networks. Subcommands live one per file.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "parse_args.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/interrupt.hpp"
#include "idealgas/core/utf8.hpp"
#include "idealgas/train/train_job_kind.hpp"

namespace idealgas::cli {
namespace {
std::string g_invocation;

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Every argument is recorded (run.json's command, a sweep's job commands) and most are paths or values written into
// JSON, which holds only UTF-8: one check here, before anything runs, refuses the others by name (escaped), with
// their position and the option they follow.
void require_utf8_arguments(int argc, char** argv) {
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (idealgas::is_utf8(arg)) continue;
    const std::size_t eq = arg.find('=');
    const std::string previous = k > 1 ? argv[k - 1] : "";
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos && idealgas::is_utf8(arg.substr(0, eq)))
      idealgas::require_utf8(arg.substr(0, eq), arg.substr(eq + 1));  // --out=VALUE
    else if (previous.rfind('-', 0) == 0 && previous.find('=') == std::string::npos && idealgas::is_utf8(previous))
      idealgas::require_utf8(fmt::format("argument {} (after {})", k, previous), arg);  // --out VALUE
    else
      idealgas::require_utf8(fmt::format("argument {}", k), arg);
  }
}
}  // namespace

const std::string& invocation() { return g_invocation; }
void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << std::endl; }
std::string toml_quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
JobKinds job_kinds() { return JobKinds{{&iso_job_kind(), &train::train_job_kind()}}; }
}  // namespace idealgas::cli

int main(int argc, char** argv) {
  // Before the handlers: a signal caught here would be forgotten by the exec, so until then the default action
  // (exit 128 + signal, nothing written yet) stands, as it does while idealgas-torch loads LibTorch.
  try {
    idealgas::cli::require_utf8_arguments(argc, argv);  // in idealgas-torch too: it can be run directly
#if !IDEALGAS_CLI_WITH_TORCH
    idealgas::cli::run_torch_program_if_needed(argc, argv);  // returns unless the command needs LibTorch
#endif
  } catch (const idealgas::Error& e) {
    std::fprintf(stderr, "idealgas: error: %s\n", e.what());
    return idealgas::cli::kExitBadInput;
  }
  // Then at once: a signal during the CLI setup is reported like any other.
  idealgas::install_interrupt_handlers();
  CLI::App app{"idealgas: SGD on scale-invariant models as an ideal gas (theory, simulation, entropy, checks)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "idealgas 0.1.0");
  idealgas::cli::setup_theory(app);
  idealgas::cli::setup_entropy(app);
  idealgas::cli::setup_reproduce(app);
  idealgas::cli::setup_report(app);
  idealgas::cli::setup_simulate(app);
  idealgas::cli::setup_sweep(app);
  idealgas::cli::setup_analyze(app);
#if IDEALGAS_CLI_WITH_TORCH
  idealgas::cli::setup_train(app);
  idealgas::cli::setup_check_si(app);
#else
  idealgas::cli::setup_torch_forwarding(app);
#endif
  using namespace idealgas::cli;
  refuse_empty_values(app);
  idealgas::cli::g_invocation = "idealgas";
  for (int k = 1; k < argc; ++k) idealgas::cli::g_invocation += " " + shell_quote(argv[k]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const idealgas::cli::ExitWith& e) {
    std::fflush(stdout);
    return e.code;
  } catch (const idealgas::Interrupted& e) {
    std::fprintf(stderr, "idealgas: interrupted: %s\n", e.what());
    return kExitInterrupted;
  } catch (const idealgas::DivergenceError& e) {
    // Exit 3: the command finished, but some result is missing (a divergence, a failed or unfinished configuration);
    // the message says which.
    std::fprintf(stderr, "idealgas: incomplete: %s\n", e.what());
    return kExitDiverged;
  } catch (const idealgas::Error& e) {  // bad input or unreadable/unwritable file
    std::fprintf(stderr, "idealgas: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "idealgas: internal error (a bug; please report it): %s\n", e.what());
    return kExitBug;
  }
  return kExitOk;
}
