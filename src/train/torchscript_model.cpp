#include "idealgas/train/torchscript_model.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/frontend/error_report.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/version.h>
#include <sys/wait.h>
#include <unistd.h>

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

// The weights the rule takes, by full name. A scripted torch.nn layer keeps `bias` as an attribute (None when it has
// none); a traced one keeps only its parameters, so a missing `bias` attribute is no bias.
std::set<std::string> rule_si_names(const torch::jit::Module& module) {
  std::set<std::string> names;
  for (const auto& sub : module.named_modules()) {
    const auto type_name = sub.value.type()->name();
    if (!type_name || linear_layer_types().count(unmangled(type_name->qualifiedName())) == 0) continue;
    if (!sub.value.hasattr("weight") || (sub.value.hasattr("bias") && !sub.value.attr("bias").isNone())) continue;
    const c10::IValue weight = sub.value.attr("weight");
    if (weight.isTensor() && weight.toTensor().requires_grad()) names.insert(qualified(sub.name, "weight"));
  }
  return names;
}

// ---- what a module's code may call (docs/security.md) ----------------------------------------------------------
// A TorchScript module is a program: torch.jit.load runs its __setstate__ methods, and forward runs with the
// user's privileges. LibTorch 1.13 registers three kinds of operators that reach outside the process's tensors:
// aten::from_file (maps any file, shared = true writes into it), aten::save (writes any file) and the c10d::
// collectives (network). Everything else computes on tensors (prim::Print and aten::warn only write to the
// terminal). Modules calling these are refused unless model.trust = true.
bool is_outside_operator(const std::string& qualified_op) {
  return qualified_op == "aten::from_file" || qualified_op == "aten::save" || qualified_op.rfind("c10d::", 0) == 0;
}
// The same names as they appear in a module's source (torch.from_file, torch.ops.aten.save, torch.ops.c10d.send,
// getattr(torch, "save")): any identifier or string-literal word equal to one of these.
bool is_outside_word(const std::string& word) { return word == "from_file" || word == "save" || word == "c10d"; }

// Code records larger than this are not a network's source (the largest torchvision model's code is ~1 MB).
constexpr std::size_t kMaxCodeRecordBytes = 64u << 20;

std::string trust_hint() {
  return "a module runs with your privileges; if you wrote it or trust its author, set model.trust = true "
         "(docs/security.md)";
}

// Little-endian fields of a zip archive.
std::uint64_t le(const std::string& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(k)]);
  return v;
}

// LibTorch's reader allocates each record's declared uncompressed size before it checks anything (a 4-byte change of
// a size field asks for 4 GB). The central directory is read here first and every record's sizes checked against the
// file: stored records hold exactly their bytes, deflated ones at most deflate's limit of 1032 : 1. Archives this
// reader cannot parse are left to LibTorch's reader, which refuses them.
void refuse_implausible_record_sizes(const std::string& path, const std::string& where) {
  std::error_code ec;
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec || file_size < 22) return;
  std::ifstream in(path, std::ios::binary);
  const auto read_at = [&](std::uint64_t offset, std::uint64_t n) {
    std::string b(static_cast<std::size_t>(n), '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(b.data(), static_cast<std::streamsize>(n));
    return in ? b : std::string();
  };
  // End of central directory: within the last 22 + 65535 (comment) bytes.
  const std::uint64_t tail_size = std::min<std::uint64_t>(file_size, 22 + 65535 + 20);
  const std::string tail = read_at(file_size - tail_size, tail_size);
  if (tail.empty()) return;
  const std::size_t eocd = tail.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos || eocd + 22 > tail.size()) return;
  std::uint64_t entries = le(tail, eocd + 10, 2), cd_size = le(tail, eocd + 12, 4), cd_offset = le(tail, eocd + 16, 4);
  if (eocd >= 20 && tail.compare(eocd - 20, 4, std::string("PK\x06\x07", 4)) == 0) {  // zip64
    const std::uint64_t z64 = le(tail, eocd - 20 + 8, 8);
    if (z64 > file_size || file_size - z64 < 56) return;
    const std::string rec = read_at(z64, 56);
    if (rec.size() < 56 || rec.compare(0, 4, std::string("PK\x06\x06", 4)) != 0) return;
    entries = le(rec, 32, 8);
    cd_size = le(rec, 40, 8);
    cd_offset = le(rec, 48, 8);
  }
  if (cd_offset > file_size || cd_size > file_size - cd_offset) return;  // LibTorch's reader says what is wrong
  const std::string cd = read_at(cd_offset, cd_size);
  std::size_t at = 0;
  for (std::uint64_t k = 0; k < entries && at + 46 <= cd.size(); ++k) {
    if (cd.compare(at, 4, std::string("PK\x01\x02", 4)) != 0) return;
    const std::uint64_t method = le(cd, at + 10, 2);
    std::uint64_t compressed = le(cd, at + 20, 4), uncompressed = le(cd, at + 24, 4);
    const std::size_t name_len = le(cd, at + 28, 2), extra_len = le(cd, at + 30, 2), comment_len = le(cd, at + 32, 2);
    if (at + 46 + name_len + extra_len > cd.size()) return;
    const std::string name = cd.substr(at + 46, name_len);
    // Zip64 sizes: extra field 0x0001 holds the 8-byte values of the fields set to 0xFFFFFFFF, in this order.
    for (std::size_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len;) {
      const std::uint64_t id = le(cd, e, 2), len = le(cd, e + 2, 2);
      if (e + 4 + len > at + 46 + name_len + extra_len) break;
      if (id == 1) {
        std::size_t f = e + 4;
        if (uncompressed == 0xFFFFFFFFu && f + 8 <= e + 4 + len) uncompressed = le(cd, f, 8), f += 8;
        if (compressed == 0xFFFFFFFFu && f + 8 <= e + 4 + len) compressed = le(cd, f, 8);
      }
      e += 4 + len;
    }
    const bool plausible = compressed <= file_size && (method == 0   ? uncompressed == compressed
                                                       : method == 8 ? uncompressed <= 1032 * compressed + 1024
                                                                     : false);
    if (!plausible)
      throw InputError(fmt::format("{}: not a TorchScript module: record '{}' declares {} bytes from {} stored "
                                   "(compression method {}) in a file of {} bytes",
                                   where, name, uncompressed, compressed, method, file_size));
    at += 46 + name_len + extra_len + comment_len;
  }
}

// Deepest bracket nesting accepted in a module's source: LibTorch's parser recurses per level (a crafted record of
// 10^5 open brackets overflows its stack); generated TorchScript of real networks stays below 20.
constexpr int kMaxSourceNesting = 256;

// The first problem of a pickle (data.pkl, constants.pkl, the .debug_pkl records) that LibTorch's unpickler would
// turn into an allocation the record cannot back: a length-prefixed string or bytes operand longer than the rest
// of the record (the unpickler allocates the declared length first: a 4-byte change asks for 4 GB). Opcodes of
// protocols 2-5 (PyTorch 1.13 writes a subset of protocol 2's); any other opcode is refused. Memo indices must be
// the next free one, as PyTorch writes them: LibTorch sizes its memo table by the index (LONG_BINPUT 10^9 asks for
// 16 GB; found by fuzz_torchscript).
std::string pickle_length_problem(const std::string& b) {
  std::size_t at = 0;
  std::uint64_t memo = 0;  // entries stored so far
  const auto need = [&](std::uint64_t n) { return n <= b.size() - at; };
  while (at < b.size()) {
    const unsigned char op = static_cast<unsigned char>(b[at++]);
    if (op == 'q' || op == 'r') {  // BINPUT, LONG_BINPUT
      const int bytes = op == 'q' ? 1 : 4;
      if (!need(static_cast<std::uint64_t>(bytes))) return "a memo index cut off by the end of the record";
      const std::uint64_t index = le(b, at, bytes);
      if (index > memo) return fmt::format("memo index {} with {} stored", index, memo);
      if (index == memo) ++memo;
      at += static_cast<std::size_t>(bytes);
      continue;
    }
    if (op == 0x94) {  // MEMOIZE
      ++memo;
      continue;
    }
    std::uint64_t skip = 0;   // fixed operand bytes
    int length_bytes = 0;     // bytes of a length prefix whose value then follows
    switch (op) {
      case 0x80: case 'K': case 'h': skip = 1; break;                            // PROTO BININT1 BINGET
      case 'M': skip = 2; break;                                                 // BININT2
      case 'J': case 'j': skip = 4; break;                                       // BININT LONG_BINGET
      case 'G': case 0x95: skip = 8; break;                                      // BINFLOAT FRAME
      case 0x8a: case 'U': case 'C': case 0x8c: length_bytes = 1; break;        // LONG1 SHORT_BIN* SHORT_BINUNICODE
      case 0x8b: case 'X': case 'T': case 'B': length_bytes = 4; break;          // LONG4 BINUNICODE BINSTRING BINBYTES
      case 0x8d: case 0x8e: case 0x96: length_bytes = 8; break;                  // BINUNICODE8 BINBYTES8 BYTEARRAY8
      case 'c':                                                                   // GLOBAL: two text lines
        for (int line = 0; line < 2; ++line) {
          const std::size_t nl = b.find('\n', at);
          if (nl == std::string::npos) return "a GLOBAL without its end of line";
          at = nl + 1;
        }
        continue;
      case '(': case ')': case ']': case '}': case 't': case 0x85: case 0x86: case 0x87: case 0x81: case 'R':
      case 'b': case 's': case 'u': case 'a': case 'e': case 'N': case 0x88: case 0x89: case 'Q':
      case 0x93: case 0x8f: case 0x90: case 0x91: case 0x92: case '0': case '2': case 'l': case 'd':
        continue;
      case '.': return "";  // STOP
      default: return fmt::format("opcode 0x{:02x}, which PyTorch does not write", op);
    }
    if (length_bytes > 0) {
      if (!need(static_cast<std::uint64_t>(length_bytes))) return "a length cut off by the end of the record";
      skip = le(b, at, length_bytes);
      at += static_cast<std::size_t>(length_bytes);
      if (!need(skip))
        return fmt::format("an operand of {} bytes declared with {} bytes left", skip, b.size() - at);
    }
    if (!need(skip)) return "an operand cut off by the end of the record";
    at += static_cast<std::size_t>(skip);
  }
  return "";
}

// Before anything of the archive runs (torch::jit::load already executes __setstate__ methods) and before LibTorch's
// parsers see it: every pickle's lengths, every source record's size and nesting, and (unless `trust`) the words of
// the TorchScript source. InputError naming the record and what was found.
void check_archive_before_loading(const std::string& path, const std::string& where, bool trust) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::vector<std::string> records;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    records = reader->getAllRecords();
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: not a TorchScript module (not a PyTorch zip archive: {}); save it with "
                                 "torch.jit.script(model).save(path)",
                                 where, first_line(e.what())));
  }
  const auto ends_with = [](const std::string& name, const char* tail) {
    const std::size_t n = std::strlen(tail);
    return name.size() >= n && name.compare(name.size() - n, n, tail) == 0;
  };
  for (const std::string& name : records) {
    const bool code = (name.rfind("code/", 0) == 0 || name.find("/code/") != std::string::npos) &&
                      ends_with(name, ".py");
    const bool pickle = ends_with(name, ".pkl") || ends_with(name, ".debug_pkl");
    if (!code && !pickle) continue;
    std::string text;
    try {
      auto record = reader->getRecord(name);
      const std::size_t size = std::get<1>(record);
      if (code && size > kMaxCodeRecordBytes)
        throw InputError(fmt::format("{}: its source record '{}' holds {} bytes, more than a network's source "
                                     "({} MiB); {}",
                                     where, name, size, kMaxCodeRecordBytes >> 20, trust_hint()));
      text.assign(static_cast<const char*>(std::get<0>(record).get()), size);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: not a TorchScript module (record '{}' unreadable: {})", where, name,
                                   first_line(e.what())));
    }
    if (pickle) {
      const std::string problem = pickle_length_problem(text);
      if (!problem.empty())
        throw InputError(fmt::format("{}: not a TorchScript module: its record '{}' is a broken pickle ({})", where,
                                     name, problem));
      continue;
    }
    int depth = 0;
    for (const char ch : text) {
      depth += (ch == '(' || ch == '[' || ch == '{') ? 1 : (ch == ')' || ch == ']' || ch == '}') ? -1 : 0;
      if (depth > kMaxSourceNesting)
        throw InputError(fmt::format("{}: its source record '{}' nests brackets more than {} deep; not a network's "
                                     "source",
                                     where, name, kMaxSourceNesting));
    }
    if (trust) continue;
    std::size_t i = 0;
    while (i < text.size()) {
      const auto word_char = [&](std::size_t k) {
        const unsigned char ch = static_cast<unsigned char>(text[k]);
        return std::isalnum(ch) != 0 || ch == '_';
      };
      if (!word_char(i)) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < text.size() && word_char(j)) ++j;
      const std::string word = text.substr(i, j - i);
      if (is_outside_word(word))
        throw InputError(fmt::format("{}: its code ({}) names '{}', an operation that reads or writes files or the "
                                     "network; refused: {}",
                                     where, name, word, trust_hint()));
      i = j;
    }
  }
}

// Seconds a trial load may take: real modules load in well under a second; a __setstate__ that loops is stopped.
constexpr unsigned kTrialLoadSeconds = 60;

// LibTorch's TorchScript frontend is not hardened against crafted source (fuzz_torchscript found a segfault in its
// type parser, ScriptTypeParser::parseClassConstant): the archive is first loaded in a child process, and a child
// that did not exit cleanly (a crash, running out of memory, the time limit) leaves this process untouched and the
// module refused. The child only loads and exits; its refusals are left to the load that follows here, which gives the
// same error with its message.
void trial_load_in_child(const std::string& path, const std::string& where) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return;  // no process to spare: the load below is the only one
  if (pid == 0) {
    // The default actions, whatever this process installed (a fuzzer's or sanitizer's crash handlers exit normally).
    for (const int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM}) std::signal(sig, SIG_DFL);
    ::alarm(kTrialLoadSeconds);
    try {
      torch::jit::load(path, at::Device(at::kCPU));
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
    throw InputError(fmt::format("{}: not a TorchScript module this LibTorch can load: loading it in a trial process "
                                 "{} ({} {}); nothing of it ran here",
                                 where,
                                 WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
                                     ? fmt::format("took more than {} s", kTrialLoadSeconds)
                                     : std::string("crashed LibTorch"),
                                 WIFSIGNALED(status) ? "signal" : "exit status",
                                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
}

// The operators a graph calls, nested blocks and subgraphs (fork, closures) included.
void collect_operators(const torch::jit::Block& block, std::set<std::string>& ops);
void collect_operators(const torch::jit::Graph& graph, std::set<std::string>& ops) {
  collect_operators(*graph.block(), ops);
}
void collect_operators(const torch::jit::Block& block, std::set<std::string>& ops) {
  for (const torch::jit::Node* n : block.nodes()) {
    ops.insert(n->kind().toQualString());
    for (const torch::jit::Block* b : n->blocks()) collect_operators(*b, ops);
    if (n->hasAttribute(torch::jit::attr::Subgraph)) collect_operators(*n->g(torch::jit::attr::Subgraph), ops);
  }
}

}  // namespace

std::string outside_operator_call(const torch::jit::Module& module) {
  for (torch::jit::Function* f : module._ivalue()->compilation_unit()->get_functions()) {
    if (f == nullptr || !f->isGraphFunction()) continue;
    auto& function = torch::jit::toGraphFunction(*f);
    function.ensure_defined();
    const std::shared_ptr<torch::jit::Graph> graph = function.graph()->copy();
    torch::jit::Inline(*graph);
    std::set<std::string> ops;
    collect_operators(*graph, ops);
    for (const std::string& op : ops)
      if (is_outside_operator(op)) return fmt::format("{} calls {}", f->qualname().qualifiedName(), op);
  }
  return "";
}

namespace {

// One entry per distinct tensor: a parameter reachable under several names (tied weights: conv2.weight =
// conv.weight) is counted, scaled and stepped once, under its first name in named_parameters() order. Tensors that
// overlap in memory without being the same tensor (views of one storage) cannot be stepped independently: refused.
struct DistinctTensors {
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
  std::map<std::string, std::string> alias_of;  // a later name -> the first name of the same tensor
};

template <class NamedList>
DistinctTensors distinct_tensors(const NamedList& list, const std::string& what, const std::string& where) {
  DistinctTensors out;
  for (const auto& item : list) {
    const at::Tensor& t = item.value;
    bool seen = false;
    for (std::size_t k = 0; k < out.tensors.size() && !seen; ++k) {
      const at::Tensor& u = out.tensors[k];
      if (!t.has_storage() || !u.has_storage() ||
          t.storage().unsafeGetStorageImpl() != u.storage().unsafeGetStorageImpl())
        continue;
      if (t.storage_offset() == u.storage_offset() && t.sizes() == u.sizes() && t.strides() == u.strides()) {
        out.alias_of[item.name] = out.names[k];
        seen = true;
      } else {
        throw InputError(fmt::format("{}: {}s '{}' and '{}' share memory without being the same tensor (views of one "
                                     "storage); give each its own tensor, or tie them fully (b.weight = a.weight)",
                                     where, what, out.names[k], item.name));
      }
    }
    if (seen) continue;
    out.names.push_back(item.name);
    out.tensors.push_back(t);
  }
  return out;
}

}  // namespace

struct TorchScriptModel::BufferSlot {
  torch::jit::Module owner;
  std::string name;
  std::size_t index = 0;  // into buffers_
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
  // A module is code: its source is read before anything of it runs (load runs __setstate__), its compiled graphs
  // after loading, before any method is called (docs/security.md).
  refuse_implausible_record_sizes(spec.script_path, where());
  check_archive_before_loading(spec.script_path, where(), spec.trust);
  trial_load_in_child(spec.script_path, where());
  try {
    module_ = std::make_unique<torch::jit::Module>(torch::jit::load(spec.script_path, device));
  } catch (const torch::jit::ErrorReport&) {
    // A compile error of the module's source. Its what() formats the source lines it points at from the archive's
    // debug records, and crafted records make that throw inside the noexcept what() (std::terminate; found by
    // fuzz_torchscript): the message is not read.
    throw InputError(fmt::format("{}: not a TorchScript module this LibTorch ({}) can load: its TorchScript source "
                                 "does not compile here (save it with torch.jit.script(model).save(path) from "
                                 "PyTorch 1.13)",
                                 where(), TORCH_VERSION));
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: not a TorchScript module this LibTorch ({}) can load (save it with "
                                 "torch.jit.script(model).save(path) from PyTorch 1.13): {}",
                                 where(), TORCH_VERSION, first_line(e.what())));
  }
  if (!spec.trust) {
    const std::string call = outside_operator_call(*module_);
    if (!call.empty())
      throw InputError(fmt::format("{}: its code ({}), an operation that reads or writes files or the network; "
                                   "refused: {}",
                                   where(), call, trust_hint()));
  }
  module_->to(device);

  const DistinctTensors params = distinct_tensors(module_->named_parameters(/*recurse=*/true), "parameter", where());
  const std::vector<std::string>& all_names = params.names;
  std::vector<at::Tensor> all_params = params.tensors;
  tied_ = params.alias_of;
  for (std::size_t i = 0; i < all_names.size(); ++i)
    if (all_params[i].scalar_type() != at::kFloat)
      throw InputError(fmt::format("{}: parameter '{}' is {}; the trainer needs float32 (save the module after "
                                   "model.float())",
                                   where(), all_names[i], c10::toString(all_params[i].scalar_type())));
  // A name under which a tied tensor appears again means its first name.
  const auto canonical = [&](const std::string& name) {
    const auto it = tied_.find(name);
    return it == tied_.end() ? name : it->second;
  };
  std::vector<std::string> every_name = all_names;  // for messages: every spelling named_parameters() gives
  for (const auto& [alias, first] : tied_) every_name.push_back(alias);
  std::set<std::string> si;
  if (spec.si_parameters.empty()) {
    for (const std::string& name : rule_si_names(*module_)) si.insert(canonical(name));
    if (si.empty())
      throw InputError(fmt::format("{}: no parameter qualifies as scale-invariant by the rule (the weight of a "
                                   "bias-free torch.nn Conv or Linear layer that requires grad); name them in "
                                   "model.si_parameters (parameters: {})",
                                   where(), fmt::join(all_names, ", ")));
  } else {
    for (const std::string& name : spec.si_parameters) {
      if (std::find(every_name.begin(), every_name.end(), name) == every_name.end())
        throw InputError(fmt::format("{}: model.si_parameters names '{}', which is not a parameter of the module{}; "
                                     "its parameters: {}",
                                     where(), name, did_you_mean(name, every_name), fmt::join(all_names, ", ")));
      si.insert(canonical(name));
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

  // Buffers with their owner submodule and attribute (to swap them out for a pass), module tree in pre-order; a
  // buffer reachable under several names (shared BatchNorm statistics) is checkpointed once, and swapped in every
  // place it appears.
  std::vector<std::string> buffer_names;
  std::vector<BufferSlot> buffer_slots;
  std::vector<at::Tensor> buffers;
  for (const auto& sub : module_->named_modules())
    for (const auto& b : sub.value.named_buffers(/*recurse=*/false)) {
      const std::string name = qualified(sub.name, b.name);
      if (b.value.scalar_type() != at::kFloat && b.value.scalar_type() != at::kLong)
        throw InputError(fmt::format("{}: buffer '{}' is {}; the trainer keeps float32 and int64 buffers "
                                     "(BatchNorm's) in its checkpoints",
                                     where(), name, c10::toString(b.value.scalar_type())));
      buffer_names.push_back(name);
      buffer_slots.push_back({sub.value, b.name});
      buffers.push_back(b.value);
    }
  struct Named {
    std::string name;
    at::Tensor value;
  };
  std::vector<Named> named_buffers;
  for (std::size_t i = 0; i < buffers.size(); ++i) named_buffers.push_back({buffer_names[i], buffers[i]});
  const DistinctTensors distinct = distinct_tensors(named_buffers, "buffer", where());
  for (const std::string& name : distinct.names) {
    const std::size_t i = static_cast<std::size_t>(
        std::find(buffer_names.begin(), buffer_names.end(), name) - buffer_names.begin());
    buffers_.push_back(buffers[i]);
    buffer_names_.push_back(name);
  }
  // Every slot, with the index of its distinct buffer.
  for (std::size_t i = 0; i < buffer_slots.size(); ++i) {
    const auto alias = distinct.alias_of.find(buffer_names[i]);
    const std::string& first = alias == distinct.alias_of.end() ? buffer_names[i] : alias->second;
    buffer_slots[i].index = static_cast<std::size_t>(
        std::find(buffer_names_.begin(), buffer_names_.end(), first) - buffer_names_.begin());
    buffer_slots_.push_back(buffer_slots[i]);
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
  std::vector<at::Tensor> copies;
  if (swap) {
    for (const at::Tensor& b : buffers_) copies.push_back(b.clone());
    for (BufferSlot& slot : buffer_slots_) slot.owner.setattr(slot.name, copies[slot.index]);
  }
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
      for (BufferSlot& slot : buffer_slots_) slot.owner.setattr(slot.name, buffers_[slot.index]);
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
  for (const BufferSlot& slot : buffer_slots_) {
    const c10::IValue now = slot.owner.attr(slot.name);
    if (!now.isTensor() || !now.toTensor().is_same(buffers_[slot.index]))
      throw InputError(fmt::format("{}: forward replaced buffer '{}' instead of updating it in place; the trainer "
                                   "needs buffers updated in place (as BatchNorm does) to checkpoint them",
                                   where(), slot.name));
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
          {"tied_parameters", tied_},
          {"trusted", spec_.trust},
          {"in_channels", spec_.in_channels},
          {"classes", spec_.classes}};
}

}  // namespace idealgas::train
