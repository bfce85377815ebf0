// An output folder that one run owns at a time (results folders must never contradict themselves, whatever
// happens to the process): an exclusive lock held for the run, stale temporary files of killed atomic writes
// removed on entry, and a documented way out when a run is interrupted.
#pragma once

#include <filesystem>
#include <string>

namespace idealgas {

/// Validates a folder given on the command line (non-empty, not a file) and names the flag in the error.
std::filesystem::path require_output_folder(const std::string& flag, const std::string& path);

/// Holds an exclusive flock on DIR/.lock for its lifetime (created with the folder). A second run into the same
/// folder gets an InputError naming the folder, instead of two runs interleaving their writes.
class RunFolderLock {
 public:
  explicit RunFolderLock(const std::filesystem::path& folder);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_ = -1;
};

/// Removes `*.tmp.<pid>` files (left by atomic writes that a kill interrupted) anywhere under `folder`.
/// Call while holding the folder's lock. Returns how many were removed.
int remove_stale_temporaries(const std::filesystem::path& folder);

}  // namespace idealgas
