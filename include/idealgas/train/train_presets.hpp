// Named configurations for `idealgas train --preset NAME` (docs/train.md lists them): one per paper setup and
// protocol (docs/paper-setup.md §2, the centre of the plotted grid) and CPU-sized Fashion-MNIST runs. A preset is
// TOML text applied over the defaults; a config file and --set overrides go on top.
#pragma once

#include <string>
#include <vector>

namespace idealgas::train {

struct Preset {
  std::string name;
  std::string description;  // one line
  std::string toml;         // settings over the defaults
};

/// Every preset, in the order --list-presets prints them.
const std::vector<Preset>& presets();
/// The preset called `name`; InputError with the closest names and a pointer to --list-presets otherwise.
const Preset& find_preset(const std::string& name);

}  // namespace idealgas::train
