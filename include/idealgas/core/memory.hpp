// The machine's physical memory, the one number every "would this fit?" check is measured against.
#pragma once

namespace idealgas {

/// Physical memory in bytes (sysconf); 0 when the system does not say.
double physical_memory_bytes();

}  // namespace idealgas
