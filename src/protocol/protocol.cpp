#include "idealgas/protocol/protocol.hpp"

#include "idealgas/core/error.hpp"

namespace idealgas {

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::fixed_lr: return "lr";
    case Protocol::fixed_elr: return "elr";
    case Protocol::fixed_sphere: return "sphere";
  }
  return "?";
}

Protocol parse_protocol(const std::string& name) {
  if (name == "lr") return Protocol::fixed_lr;
  if (name == "elr") return Protocol::fixed_elr;
  if (name == "sphere") return Protocol::fixed_sphere;
  throw InputError("protocol must be one of lr, elr, sphere (fixed LR, fixed effective LR, fixed sphere), got '" +
                   name + "'");
}

ProtocolParams ProtocolParams::make(const std::string& name, double first, double second) {
  return make(parse_protocol(name), first, second);
}

ProtocolParams ProtocolParams::make(Protocol kind, double first, double second) {
  ProtocolParams p;
  p.kind = kind;
  if (kind == Protocol::fixed_lr) p.eta = require_positive("eta", first);
  else p.eta_eff = require_positive("eta_eff", first);
  if (kind == Protocol::fixed_sphere) p.radius = require_positive("radius", second);
  else p.lambda = require_positive("lambda", second);
  return p;
}

nlohmann::json ProtocolParams::settings() const {
  switch (kind) {
    case Protocol::fixed_lr: return {{"protocol", "lr"}, {"eta", eta}, {"lambda", lambda}};
    case Protocol::fixed_elr: return {{"protocol", "elr"}, {"eta_eff", eta_eff}, {"lambda", lambda}};
    case Protocol::fixed_sphere: return {{"protocol", "sphere"}, {"eta_eff", eta_eff}, {"radius", radius}};
  }
  return {};
}

}  // namespace idealgas
