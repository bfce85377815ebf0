// A share of a grid for one process or one Slurm array task: shard I of N holds configuration k iff k mod N = I
// (round robin: the slow corners of a grid, which sit together in its order, are spread over the shards). Every
// configuration belongs to exactly one shard; rerunning a shard skips what it completed.
#pragma once

#include <string>

namespace idealgas {

struct Shard {
  long long index = 0;  // I, 0..N-1
  long long count = 1;  // N >= 1

  bool contains(long long configuration) const { return configuration % count == index; }
  bool whole() const { return count == 1; }
  /// "I/N".
  std::string text() const;
};

/// Most shards (Slurm's array index ceiling; slurm_script.hpp kSlurmMaxArraySize).
inline constexpr long long kMaxShards = 4'000'001;

/// Parses "I/N" exactly as written (decimal digits, 0 <= I < N <= kMaxShards). InputError naming `flag`, the
/// value and the accepted form otherwise.
Shard parse_shard(const std::string& flag, const std::string& text);

}  // namespace idealgas
