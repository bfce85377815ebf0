#include "idealgas/analyse/grid_table.hpp"

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

}  // namespace idealgas
