#include "idealgas/train/torchscript_model.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/version.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/suggest.hpp"

namespace idealgas::train {

namespace {

// torch.nn layers whose bias-free weight the rule takes (torchscript_model.hpp), by TorchScript's qualified type.
const std::set<std::string>& linear_layer_types() {
  static const std::set<std::string> types = {
      "__torch__.torch.nn.modules.conv.Conv1d",          "__torch__.torch.nn.modules.conv.Conv2d",
      "__torch__.torch.nn.modules.conv.Conv3d",          "__torch__.torch.nn.modules.conv.ConvTranspose1d",
      "__torch__.torch.nn.modules.conv.ConvTranspose2d", "__torch__.torch.nn.modules.conv.ConvTranspose3d",
      "__torch__.torch.nn.modules.linear.Linear"};
  return types;
}

// LibTorch's messages carry a backtrace and the TorchScript source. The interpreter's end with the Python-style
// "RuntimeError: ..." line that says what went wrong; others say it in their first line.
std::string first_line(const std::string& message) {
  const std::size_t error = message.rfind("Error: ");
  const std::size_t start = error == std::string::npos ? 0 : message.rfind('\n', error) + 1;  // npos + 1 = 0
  const std::string line = message.substr(start, message.find('\n', start) - start);
  return line.empty() ? std::string("no message") : line;
}

std::string qualified(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// A class's qualified name without TorchScript's mangling: two Conv2d submodules with attributes of different
// types become __torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d and the like.
std::string unmangled(const std::string& qualified_name) {
  std::string out;
  std::size_t start = 0;
  while (start <= qualified_name.size()) {
    const std::size_t dot = std::min(qualified_name.find('.', start), qualified_name.size());
    const std::string part = qualified_name.substr(start, dot - start);
    if (part.rfind("___torch_mangle_", 0) != 0) out += (out.empty() ? "" : ".") + part;
    start = dot + 1;
  }
  return out;
}

// The weights the rule takes, by full name.
std::set<std::string> rule_si_names(const torch::jit::Module& module) {
  std::set<std::string> names;
  for (const auto& sub : module.named_modules()) {
    const auto type_name = sub.value.type()->name();
    if (!type_name || linear_layer_types().count(unmangled(type_name->qualifiedName())) == 0) continue;
    if (!sub.value.hasattr("weight") || !sub.value.hasattr("bias") || !sub.value.attr("bias").isNone()) continue;
    const c10::IValue weight = sub.value.attr("weight");
    if (weight.isTensor() && weight.toTensor().requires_grad()) names.insert(qualified(sub.name, "weight"));
  }
  return names;
}

}  // namespace

struct TorchScriptModel::BufferSlot {
  torch::jit::Module owner;
  std::string name;
};

TorchScriptModel::TorchScriptModel(const NetworkSpec& spec, at::Device device)
    : Model(device, spec.loss, spec.classes), spec_(spec) {
  validate(spec);
  IDEALGAS_ASSERT(spec.arch == Architecture::torchscript, "TorchScriptModel needs arch torchscript");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(spec.script_path, ec))
    throw IoError(fmt::format("{}: {}; save your module with torch.jit.script(model).save(path) and give that path",
                              where(),
                              std::filesystem::exists(spec.script_path, ec) ? "is not a regular file" : "does not exist"));
  try {
    module_ = std::make_unique<torch::jit::Module>(torch::jit::load(spec.script_path, device));
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: not a TorchScript module this LibTorch ({}) can load (save it with "
                                 "torch.jit.script(model).save(path) from PyTorch 1.13): {}",
                                 where(), TORCH_VERSION, first_line(e.what())));
  }
  module_->to(device);

  std::vector<std::string> all_names;
  std::vector<at::Tensor> all_params;
  for (const auto& p : module_->named_parameters(/*recurse=*/true)) {
    if (p.value.scalar_type() != at::kFloat)
      throw InputError(fmt::format("{}: parameter '{}' is {}; the trainer needs float32 (save the module after "
                                   "model.float())",
                                   where(), p.name, c10::toString(p.value.scalar_type())));
    all_names.push_back(p.name);
    all_params.push_back(p.value);
  }
  std::set<std::string> si;
  if (spec.si_parameters.empty()) {
    si = rule_si_names(*module_);
    if (si.empty())
      throw InputError(fmt::format("{}: no parameter qualifies as scale-invariant by the rule (the weight of a "
                                   "bias-free torch.nn Conv or Linear layer that requires grad); name them in "
                                   "model.si_parameters (parameters: {})",
                                   where(), fmt::join(all_names, ", ")));
  } else {
    for (const std::string& name : spec.si_parameters) {
      if (std::find(all_names.begin(), all_names.end(), name) == all_names.end())
        throw InputError(fmt::format("{}: model.si_parameters names '{}', which is not a parameter of the module{}; "
                                     "its parameters: {}",
                                     where(), name, did_you_mean(name, all_names), fmt::join(all_names, ", ")));
      si.insert(name);
    }
  }

  // SI tensors first, then (practical) the other trainable ones; the rest frozen. Order: named_parameters().
  std::vector<at::Tensor> tracked;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < all_names.size(); ++i)
    if (si.count(all_names[i]) != 0) {
      tracked.push_back(all_params[i]);
      names.push_back(all_names[i]);
    }
  const std::size_t si_tensors = tracked.size();
  for (std::size_t i = 0; i < all_names.size(); ++i) {
    if (si.count(all_names[i]) != 0) continue;
    if (spec.practical && all_params[i].requires_grad()) {
      tracked.push_back(all_params[i]);
      names.push_back(all_names[i]);
    } else {
      all_params[i].requires_grad_(false);
      frozen_names_.push_back(all_names[i]);
    }
  }

  // Buffers with their owner submodule and attribute (to swap them out for a pass), module tree in pre-order.
  for (const auto& sub : module_->named_modules())
    for (const auto& b : sub.value.named_buffers(/*recurse=*/false)) {
      const std::string name = qualified(sub.name, b.name);
      if (b.value.scalar_type() != at::kFloat && b.value.scalar_type() != at::kLong)
        throw InputError(fmt::format("{}: buffer '{}' is {}; the trainer keeps float32 and int64 buffers "
                                     "(BatchNorm's) in its checkpoints",
                                     where(), name, c10::toString(b.value.scalar_type())));
      buffers_.push_back(b.value);
      buffer_names_.push_back(name);
      buffer_slots_.push_back({sub.value, b.name});
    }
  set_tracked(std::move(tracked), std::move(names), si_tensors);
}

TorchScriptModel::~TorchScriptModel() = default;

std::string TorchScriptModel::where() const { return fmt::format("model.path = '{}'", spec_.script_path); }

at::Tensor TorchScriptModel::forward(const at::Tensor& x, BatchNormMode mode) {
  // train_no_track: the pass updates copies of the buffers, which then stay with the autograd graph (BatchNorm's
  // backward keeps its running-statistics inputs; writing the old values back into them would fail the backward's
  // version check). The module's own buffers are put back untouched.
  const bool swap = mode == BatchNormMode::train_no_track;
  if (swap)
    for (std::size_t i = 0; i < buffers_.size(); ++i)
      buffer_slots_[i].owner.setattr(buffer_slots_[i].name, buffers_[i].clone());
  module_->train(mode != BatchNormMode::eval);
  c10::IValue out;
  {
    // No profiling or optimisation: the same graph runs on every call, from the first (bitwise resume).
    const torch::jit::GraphOptimizerEnabledGuard no_optimisation(false);
    std::string failure;
    try {
      out = module_->forward({x});
    } catch (const std::exception& e) {
      failure = first_line(e.what());
    }
    if (swap)
      for (std::size_t i = 0; i < buffers_.size(); ++i) buffer_slots_[i].owner.setattr(buffer_slots_[i].name, buffers_[i]);
    if (!failure.empty())
      throw InputError(fmt::format("{}: forward failed on a batch [{}]: {}", where(), fmt::join(x.sizes(), ", "),
                                   failure));
  }
  if (!swap) check_buffers_in_place();
  if (!out.isTensor())
    throw InputError(fmt::format("{}: forward returned a {}; it must return the logits [B, classes] as one tensor",
                                 where(), out.tagKind()));
  at::Tensor logits = out.toTensor();
  if (logits.dim() != 2 || logits.size(0) != x.size(0) || logits.size(1) != classes() ||
      logits.scalar_type() != at::kFloat)
    throw InputError(fmt::format("{}: forward returned a {} tensor [{}] for a batch of {}; it must return float32 "
                                 "logits [B, classes] = [{}, {}]",
                                 where(), c10::toString(logits.scalar_type()), fmt::join(logits.sizes(), ", "),
                                 x.size(0), x.size(0), classes()));
  return logits;
}

void TorchScriptModel::check_buffers_in_place() const {
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    const c10::IValue now = buffer_slots_[i].owner.attr(buffer_slots_[i].name);
    if (!now.isTensor() || !now.toTensor().is_same(buffers_[i]))
      throw InputError(fmt::format("{}: forward replaced buffer '{}' instead of updating it in place; the trainer "
                                   "needs buffers updated in place (as BatchNorm does) to checkpoint them",
                                   where(), buffer_names_[i]));
  }
}

nlohmann::json TorchScriptModel::describe() const {
  return {{"architecture", "torchscript"},
          {"path", spec_.script_path},
          {"practical", spec_.practical},
          {"si_parameters", std::vector<std::string>(tracked_names().begin(),
                                                     tracked_names().begin() + static_cast<long>(si_tensors()))},
          {"si_parameters_from", spec_.si_parameters.empty() ? "rule" : "config"},
          {"tracked_parameters", tracked_names()},
          {"frozen_parameters", frozen_names_},
          {"buffers", buffer_names_},
          {"in_channels", spec_.in_channels},
          {"classes", spec_.classes}};
}

}  // namespace idealgas::train
