// idealgas only (the program without LibTorch): the commands that need LibTorch run in idealgas-torch, the program
// built beside this one. This process is replaced by it (exec), with the same arguments, so exit codes, signals and
// output are that program's own.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

#include "commands.hpp"
#include "own_program.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas::cli {

namespace {

constexpr const char* kTorchProgram = "idealgas-torch";

bool needs_torch(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string command = argv[1];
  if (command == "train" || command == "check-si") return true;
  if (command != "entropy") return false;
  for (int k = 2; k < argc; ++k) {  // --device DEVICE or --device=DEVICE, other than the default blas
    const std::string a = argv[k];
    if (a == "--device" && k + 1 < argc) return std::string(argv[k + 1]) != "blas";
    if (a.rfind("--device=", 0) == 0) return a.substr(9) != "blas";
  }
  return false;
}

}  // namespace

void setup_torch_forwarding(CLI::App& app) {
  // Listed by `idealgas --help`; never parsed here (run_torch_program_if_needed has replaced the process before).
  for (const auto& [name, summary] : {std::pair{"train", kTrainSummary}, std::pair{"check-si", kCheckSiSummary}})
    app.add_subcommand(name, summary)->allow_extras();
}

void run_torch_program_if_needed(int argc, char** argv) {
  if (!needs_torch(argc, argv)) return;
  const std::filesystem::path torch = own_program().parent_path() / kTorchProgram;
  ::execv(torch.c_str(), argv);
  throw IoError(fmt::format("'{}' needs LibTorch, which runs in {} beside this program, and that could not be "
                            "started: {}; rebuild idealgas (it builds both programs)",
                            argv[1], torch.string(), std::strerror(errno)));
}

std::unique_ptr<GramProducts> device_gram_products(const std::string& flag, const std::string& device) {
  // Only reached if forwarding was bypassed: say so rather than run on the wrong device.
  throw InputError(fmt::format("{} '{}' needs LibTorch: run it through {} (idealgas does so itself)", flag, device,
                               kTorchProgram));
}

}  // namespace idealgas::cli
