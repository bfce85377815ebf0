// idealgas: thermodynamics of SGD on scale-invariant networks. Subcommands live one per file.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas::cli {
void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << std::endl; }
}  // namespace idealgas::cli

int main(int argc, char** argv) {
  CLI::App app{"idealgas: SGD on scale-invariant models as an ideal gas (theory, simulation, entropy, checks)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "idealgas 0.1.0");
  idealgas::cli::setup_theory(app);
  idealgas::cli::setup_entropy(app);
  idealgas::cli::setup_reproduce(app);
  idealgas::cli::setup_train(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const idealgas::cli::ExitRequest& e) {
    return e.code;
  } catch (const idealgas::DivergenceError& e) {
    std::fprintf(stderr, "idealgas: run diverged: %s\n", e.what());
    return 3;
  } catch (const idealgas::Error& e) {  // bad input or unreadable/unwritable file
    std::fprintf(stderr, "idealgas: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "idealgas: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
