// libFuzzer target: the TOML configuration reader of `idealgas reproduce iso --config` on arbitrary text, then the
// per-configuration schedule of every grid corner. Every input must give a configuration or an idealgas::Error
// naming the problem; anything else (another exception, a crash, a sanitizer report such as a signed overflow in
// the schedule arithmetic) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_config.hpp"
#include "idealgas/simulate/iso_schedule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const idealgas::IsoConfig c = idealgas::IsoConfig::from_toml_string(text, "fuzz.toml");
    c.validate();
    (void)c.to_json().dump();
    const double tr_sigma = c.sigma2 * static_cast<double>(c.d - 1);
    for (idealgas::Protocol p : c.protocols) {
      const bool sphere = p == idealgas::Protocol::fixed_sphere;
      const idealgas::LogRange first = p == idealgas::Protocol::fixed_lr ? c.eta : c.eta_eff;
      const idealgas::LogRange second = sphere ? c.radius : c.lambda;
      for (double x : {first.lo, first.hi})
        for (double y : {second.lo, second.hi})
          (void)idealgas::resolve_schedule(c.schedule, idealgas::ProtocolParams::make(p, x, y), tr_sigma,
                                           sphere ? y : 1.0);
    }
  } catch (const idealgas::Error&) {
  }
  return 0;
}
