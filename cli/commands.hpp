// One file per subcommand (CLI11's subcom_in_files pattern): each registers its options on the app and
// runs from a plain options struct; the library never sees argv.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace idealgas::cli {

void setup_theory(CLI::App& app);     // cmd_theory.cpp:    idealgas theory {vmf,stationary,uniform}
void setup_entropy(CLI::App& app);    // cmd_entropy.cpp:   idealgas entropy FILE.npy
void setup_reproduce(CLI::App& app);  // cmd_reproduce.cpp: idealgas reproduce iso
void setup_train(CLI::App& app);      // cmd_train.cpp:     idealgas train

/// Thrown by a command that must end the program with a specific status (e.g. 128 + signal after a run stopped
/// by SIGINT/SIGTERM wrote its checkpoint); main returns `code`.
struct ExitRequest {
  int code;
};

/// Prints `value` on stdout, indented, floats in shortest round-trip form (NaN becomes null).
void print_json(const nlohmann::json& value);

}  // namespace idealgas::cli
