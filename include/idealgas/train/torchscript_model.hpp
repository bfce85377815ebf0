// The user's own network for `idealgas train` (docs/train.md, "Your own model (TorchScript)"): a module saved with
// torch.jit.script(model).save(path) by PyTorch 1.13 (Debian's python3-torch, matching Debian's LibTorch) and
// loaded with torch::jit::load.
//
// What the module must be: forward(x) takes one float32 tensor [B, C, 32, 32] (the project's images, 28x28
// Fashion-MNIST and smaller synthetic images zero-padded to 32x32) and returns the logits [B, classes] as one
// tensor; the trainer applies the loss (model.loss: cross-entropy, or MSE to one-hot targets). Parameters and
// floating buffers are float32; buffers are updated in place (as BatchNorm does), never reassigned.
//
// A module is a program that runs with the user's privileges (torch.jit.load runs its __setstate__ methods, forward
// runs at every step). Unless spec.trust (model.trust = true), a module whose code calls an operation that reaches
// files or the network (aten::from_file, aten::save, c10d::) is refused: its source is read before loading, its
// compiled graphs (every function of its compilation unit, callees inlined) after loading, before anything is
// called. docs/security.md says what this does and does not cover.
//
// Parameters are counted once per tensor: a parameter reachable under several names (tied weights, conv2.weight =
// conv.weight) is one tracked tensor under its first name in named_parameters() order, and naming any of its names
// in si_parameters names it; tensors that share memory without being the same tensor are refused. Buffers likewise.
//
// Scale-invariant (SI) parameters: the names of spec.si_parameters, spelled as named_parameters() spells them;
// when none are named, the rule: the weight of every torch.nn Conv1d/2d/3d, ConvTranspose1d/2d/3d and Linear
// submodule that has no bias and requires grad (scripted layers keep bias = None as an attribute; traced ones keep
// no bias attribute at all, which counts as no bias). The rule reads the module tree, not the graph (TorchScript graphs
// of submodule calls are too varied to follow reliably), so it cannot see what a weight feeds: a bias-free
// linear head would be taken too. The trainer therefore measures scale invariance before training
// (train/scale_invariance.hpp) and refuses a module that fails; Python's idealgas.find_scale_invariant_params
// follows the graph and gives names to put into model.si_parameters.
//
// Tracked parameters (the protocol's w): the SI parameters in named_parameters() order; with spec.practical also
// every other parameter that requires grad, after them. All others are frozen at their saved values (the paper's
// SI models freeze the head). The module's saved values are the initial point (the trainer then rescales the SI
// part to norm 1, as for the built-in networks); init and head seeds are not used.
//
// BatchNormMode: train = module.train(true); eval = module.train(false); train_no_track = training mode on copies
// of the buffers (the module's own are left untouched). The graph executor's optimisations are off for every call, so
// the first call runs the same graph as the millionth (a resumed run gives the same bits).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "idealgas/train/model.hpp"

namespace torch::jit {
struct Module;
}

namespace idealgas::train {

class TorchScriptModel final : public Model {
 public:
  /// InputError (naming model.path) for a file that is no TorchScript module, code that reaches files or the network
  /// (unless spec.trust), unknown SI names, no SI parameter, partly overlapping tensors, or parameters/buffers of
  /// another dtype; IoError for a file that cannot be read.
  TorchScriptModel(const NetworkSpec& spec, at::Device device);
  ~TorchScriptModel() override;

  at::Tensor forward(const at::Tensor& x, BatchNormMode mode) override;
  nlohmann::json describe() const override;

 private:
  std::string where() const;  // "model.path = '...'" for messages
  void check_buffers_in_place() const;

  struct BufferSlot;  // a buffer's owner submodule and attribute name

  NetworkSpec spec_;
  std::unique_ptr<torch::jit::Module> module_;
  std::vector<BufferSlot> buffer_slots_;  // one per buffer, in the order of buffers_
  std::vector<std::string> buffer_names_, frozen_names_;
  std::map<std::string, std::string> tied_;  // a parameter's later name -> its first name (tied weights)
};

/// The first call in `module`'s code (every function of its compilation unit, callees inlined, nested blocks and
/// forked subgraphs included) of an operation that reaches files or the network, as "FUNCTION calls OPERATOR";
/// empty if there is none. TorchScriptModel refuses such modules unless spec.trust.
std::string outside_operator_call(const torch::jit::Module& module);

}  // namespace idealgas::train
