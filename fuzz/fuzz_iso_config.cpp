// libFuzzer target: the TOML configuration reader of `idealgas reproduce iso --config` on arbitrary text. Every
// input must give a configuration or an idealgas::Error naming the problem; anything else (another exception, a
// crash, a sanitizer report such as a signed overflow in the schedule arithmetic) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const idealgas::IsoConfig c = idealgas::IsoConfig::from_toml_string(text, "fuzz.toml");
    c.validate();
    (void)c.resolved().to_json().dump();
  } catch (const idealgas::Error&) {
  }
  return 0;
}
