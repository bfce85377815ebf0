// An output folder that one run owns at a time (results folders must never contradict themselves, whatever
// happens to the process): an exclusive lock held for the run, stale temporary files of killed atomic writes
// removed on entry, and a documented way out when a run is interrupted.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace idealgas {

/// Validates a folder given on the command line (non-empty, not a file) and names the flag in the error.
std::filesystem::path require_output_folder(const std::string& flag, const std::string& path);

/// Exclusive: one process owns the folder. Shared: several processes work in it side by side (the shards of a
/// sweep, each in its own subfolders) while no exclusive owner may enter.
enum class LockMode { exclusive, shared };

/// Holds a flock on FOLDER/NAME (default DIR/.lock) for its lifetime (created with the folder). A second run into
/// the same folder gets an InputError naming the folder, instead of two runs interleaving their writes.
class RunFolderLock {
 public:
  explicit RunFolderLock(const std::filesystem::path& folder, LockMode mode = LockMode::exclusive,
                         const std::string& name = ".lock");
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_ = -1;
};

/// Held while a process creates or compares a folder's records (a sweep's grid.toml, run.json, a run folder's
/// config.toml and failure.json): an exclusive flock on FOLDER/.records.lock that every process takes, whatever mode
/// it holds the folder in. Shards share a folder (LockMode::shared), so without it two shards of different grids
/// started together both find no grid.toml and both write theirs. Held for milliseconds: a second process waits
/// for it (up to kRecordsLockSeconds, then InputError naming the folder).
class FolderRecordsLock {
 public:
  explicit FolderRecordsLock(const std::filesystem::path& folder);
  ~FolderRecordsLock();
  FolderRecordsLock(const FolderRecordsLock&) = delete;
  FolderRecordsLock& operator=(const FolderRecordsLock&) = delete;

 private:
  int fd_ = -1;
};
inline constexpr const char* kRecordsLockFile = ".records.lock";
inline constexpr double kRecordsLockSeconds = 30.0;

/// True if some process holds a lock on FOLDER/NAME (a run is in progress there). Creates nothing.
bool folder_locked(const std::filesystem::path& folder, const std::string& name = ".lock");

/// What a job writes into its folder: what --restart may remove. Names are fnmatch(3) patterns ("*.png").
struct OwnFiles {
  std::vector<std::string> files;                          // files directly in the folder
  std::vector<std::pair<std::string, OwnFiles>> folders;   // subfolders it creates, with what they hold
};

/// --restart: removes from `folder` what `own` names and nothing else. Lock files (.lock, .records.lock, .*.lock) and
/// stale temporaries (NAME.tmp.PID) count as idealgas's own. Refuses with an InputError naming one foreign entry, and
/// removes nothing, when a subfolder it would remove holds an entry `own` does not name, when an entry it would
/// remove is a link or not of the kind idealgas writes (a folder for a file), or when there is anything to remove
/// but `record_is_ours` is false (the folder's `record`, e.g. run.json, does not say an idealgas run wrote it).
/// Returns how many entries were removed. Call while holding the folder's exclusive lock.
int remove_own_files(const std::filesystem::path& folder, const OwnFiles& own, const std::string& record,
                     bool record_is_ours);

/// Removes `*.tmp.<pid>` files (left by atomic writes that a kill interrupted) anywhere under `folder`.
/// Call while holding the folder's lock. Returns how many were removed. With `recursive` false, only files directly
/// in `folder` (a folder whose subfolders other processes own).
int remove_stale_temporaries(const std::filesystem::path& folder, bool recursive = true);

}  // namespace idealgas
