// What idealgas reads from and writes into folders it does not control (issue 18): every input goes through the
// regular-file reader (a FIFO, a link to /dev/zero or a huge sparse file ends at once with one line), text that is
// not UTF-8 is refused by name, --restart removes only idealgas's own files, the records lock serialises processes,
// and file names built from values are distinct and bounded.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/file_stem.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/core/utf8.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;

class FolderInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("idealgas_folder_inputs_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void touch(const fs::path& p, const std::string& text = "x") {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path dir_;
};

struct Outcome {
  bool finished = false;  // within the time limit
  std::string message;    // the error's message ("" when it threw none), as the child saw it
};

// Runs `f` in a child process (a call that blocks for ever must not hang the test) and returns what it threw.
Outcome run_with_limit(const std::function<void()>& f, double seconds) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string message;
    try {
      f();
    } catch (const std::exception& e) {
      message = e.what();
    }
    if (::write(pipe_fds[1], message.data(), message.size()) < 0) ::_exit(2);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  Outcome out;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(pipe_fds[0]);
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) out.message.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  out.finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return out;
}

TEST_F(FolderInputs, AFifoADeviceLinkAndAHugeFileEndWithinASecondWithOneLine) {
  const fs::path fifo = dir_ / "summary.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const fs::path zero = dir_ / "grid.toml";
  fs::create_symlink("/dev/zero", zero);
  const fs::path huge = dir_ / "run.json";
  std::ofstream(huge).close();
  fs::resize_file(huge, kMaxRecordBytes + 1);  // sparse: no disk used, but more than a record may hold
  struct Case {
    fs::path file;
    std::string expected;
  };
  for (const Case& c : {Case{fifo, "is a FIFO (named pipe), not a regular file"},
                        Case{zero, "is a character device, not a regular file"},
                        Case{huge, "holds 67108865 bytes, more than the 67108864 bytes"}}) {
    // 1 s is the bound; a blocked open or a read of /dev/zero would never finish.
    const Outcome o = run_with_limit([&] { read_file(c.file); }, 1.0);
    ASSERT_TRUE(o.finished) << c.file << " blocked";
    EXPECT_NE(o.message.find(c.file.string()), std::string::npos) << o.message;
    EXPECT_NE(o.message.find(c.expected), std::string::npos) << o.message;
    EXPECT_EQ(o.message.find('\n'), std::string::npos) << o.message;
  }
  // A regular file within the limit reads back byte for byte (an exact value).
  touch(dir_ / "ok.json", std::string("{\"a\":\0 1}", 9));
  EXPECT_EQ(read_file(dir_ / "ok.json"), std::string("{\"a\":\0 1}", 9));
  EXPECT_EQ(read_file(dir_ / "ok.json", 9).size(), 9u);
  EXPECT_THROW(read_file(dir_ / "ok.json", 8), InputError);  // one byte over the given limit
}

TEST(Utf8, WellFormedSequencesOnlyAsRfc3629Says) {
  for (const char* good : {"", "plain/path", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"})
    EXPECT_TRUE(is_utf8(good)) << escape_bytes(good);
  // A lone byte, a truncated sequence, an overlong NUL, a surrogate, past U+10FFFF, a stray continuation.
  for (const char* bad : {"x\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xe2\x82"})
    EXPECT_FALSE(is_utf8(bad)) << escape_bytes(bad);
  EXPECT_EQ(escape_bytes("a\xff" "b\\c\n"), "a\\xffb\\x5cc\\x0a");
  try {
    require_utf8("--out", "runs/\xff\xfe");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--out 'runs/\\xff\\xfe' is not valid UTF-8 (byte 5)"), std::string::npos)
        << e.what();
  }
}

TEST_F(FolderInputs, RestartRemovesOnlyOwnFilesAndNamesAForeignOne) {
  const OwnFiles own{{"run.json", "summary.csv"}, {{"lr", {{"checkpoint.bin", "summary.csv"}, {}}}}};
  // A folder of ours: its files go, a lock and a stale temporary with them; a file it does not name stays.
  touch(dir_ / "a" / "run.json");
  touch(dir_ / "a" / "summary.csv");
  touch(dir_ / "a" / "lr" / "checkpoint.bin");
  touch(dir_ / "a" / "lr" / ".lock");
  touch(dir_ / "a" / "lr" / "summary.csv.tmp.123");
  touch(dir_ / "a" / "notes.txt");
  EXPECT_EQ(remove_own_files(dir_ / "a", own, "run.json", true), 3);
  EXPECT_FALSE(fs::exists(dir_ / "a" / "lr"));
  EXPECT_FALSE(fs::exists(dir_ / "a" / "run.json"));
  EXPECT_TRUE(fs::exists(dir_ / "a" / "notes.txt"));
  // A user's file inside a subfolder it would remove: refused, naming it, and nothing at all removed.
  touch(dir_ / "b" / "run.json");
  touch(dir_ / "b" / "lr" / "checkpoint.bin");
  touch(dir_ / "b" / "lr" / "thesis.tex");
  try {
    remove_own_files(dir_ / "b", own, "run.json", true);
    FAIL() << "removed a foreign file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "b" / "lr" / "thesis.tex").string() + " is not a file idealgas writes"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::exists(dir_ / "b" / "lr" / "thesis.tex"));
  EXPECT_TRUE(fs::exists(dir_ / "b" / "lr" / "checkpoint.bin"));
  EXPECT_TRUE(fs::exists(dir_ / "b" / "run.json"));
  // A link where idealgas writes a file, and a folder without idealgas's record: refused too.
  fs::create_directories(dir_ / "c");
  fs::create_symlink(dir_ / "b" / "lr" / "thesis.tex", dir_ / "c" / "summary.csv");
  EXPECT_THROW(remove_own_files(dir_ / "c", own, "run.json", true), InputError);
  EXPECT_TRUE(fs::is_symlink(dir_ / "c" / "summary.csv"));
  touch(dir_ / "d" / "summary.csv", "the user's own table");
  try {
    remove_own_files(dir_ / "d", own, "run.json", false);
    FAIL() << "removed a file of a folder without a record";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("has no run.json of an idealgas run"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(dir_ / "d" / "summary.csv"));
  // Nothing to remove: nothing to check (an empty or new folder restarts without a record).
  fs::create_directories(dir_ / "e");
  EXPECT_EQ(remove_own_files(dir_ / "e", own, "run.json", false), 0);
}

TEST_F(FolderInputs, TheRecordsLockMakesASecondProcessWaitForTheFirst) {
  // A child holds the lock for 300 ms; this process, asking meanwhile, gets it only after the release. (The child
  // takes it: a lock the parent held across fork would stay held by the child's inherited descriptor.)
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    {
      const FolderRecordsLock lock(dir_);
      if (::write(ready[1], "x", 1) != 1) ::_exit(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  const auto start = std::chrono::steady_clock::now();
  { const FolderRecordsLock lock(dir_); }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GE(waited, 0.2);   // waited for the child's 300 ms (less the time to signal it)
  EXPECT_LT(waited, 10.0);  // and got it soon after
}

TEST(FileStem, DistinctValuesGiveDistinctBoundedNames) {
  const std::string_view allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.=-_";
  // Safe short values are kept as they are (readable names of the usual grids).
  EXPECT_EQ(file_stem("width=8", allowed), "width=8");
  EXPECT_EQ(file_stem("x_y", allowed), "x_y");
  // The collisions and extremes: all distinct, all at most kFileStemMax characters, none empty.
  const std::vector<std::string> values = {"/x y",      "/x_y",     "x_y",         "_x_y",   "x=1e-16", "x=1e16",
                                           "x=1e+300", "x=1e-300", "x=inf",       "x=-inf", "x=nan",   "X=1",
                                           "x=1",      std::string(300, 'a'), std::string(299, 'a') + "b", ""};
  std::set<std::string> stems, portable;
  for (const std::string& v : values) {
    const std::string s = file_stem(v, allowed), p = file_stem(v, kPortableNameChars);
    EXPECT_LE(s.size(), kFileStemMax) << v;
    EXPECT_LE(p.size(), kFileStemMax) << v;
    EXPECT_FALSE(s.empty()) << v;
    EXPECT_EQ(p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_~"), std::string::npos) << p;
    stems.insert(s);
    portable.insert(p);
  }
  EXPECT_EQ(stems.size(), values.size());
  EXPECT_EQ(portable.size(), values.size());  // "X=1" and "x=1" too, with lower-case names only
  // The hash is FNV-1a 64 (its published test vector: "a" -> af63dc4c8601ec8c).
  EXPECT_EQ(file_stem("a", "b"), "_~af63dc4c8601ec8c");
}

}  // namespace
}  // namespace idealgas
