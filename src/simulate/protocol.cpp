#include "idealgas/simulate/protocol.hpp"

#include "idealgas/core/error.hpp"

namespace idealgas {

ProtocolParams ProtocolParams::make(const std::string& name, double eta_or_eta_eff, double second) {
  return make(parse_protocol(name), eta_or_eta_eff, second);
}

ProtocolParams ProtocolParams::make(Protocol kind, double eta_or_eta_eff, double second) {
  ProtocolParams p;
  p.kind = kind;
  p.eta = require_positive(kind == Protocol::fixed_lr ? "eta" : "eta_eff", eta_or_eta_eff);
  if (kind == Protocol::fixed_sphere) p.radius = require_positive("radius", second);
  else p.lambda = require_positive("lambda", second);
  return p;
}

nlohmann::json ProtocolParams::settings() const {
  switch (kind) {
    case Protocol::fixed_lr: return {{"protocol", "lr"}, {"eta", eta}, {"lambda", lambda}};
    case Protocol::fixed_elr: return {{"protocol", "elr"}, {"eta_eff", eta}, {"lambda", lambda}};
    case Protocol::fixed_sphere: return {{"protocol", "sphere"}, {"eta_eff", eta}, {"radius", radius}};
  }
  return {};
}

}  // namespace idealgas
