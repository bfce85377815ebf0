// Slurm job-array scripts: the exact text (checked by a real sbatch in tests/slurm/test_cluster.sh), bash's
// reading of it (syntax with `bash -n`, and the argv a task really receives, byte for byte, by running the
// script with bash as Slurm would), every rejected input, and sbatch_submit against stand-in sbatch programs.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/sweep/sbatch_submit.hpp"
#include "idealgas/sweep/slurm_script.hpp"

namespace fs = std::filesystem;
using idealgas::InputError;
using idealgas::SlurmArrayJob;
using idealgas::SlurmJob;

namespace {

// A fresh folder per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "idealgas-slurm-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

SlurmArrayJob example_array() {
  SlurmArrayJob a;
  a.job.job_name = "grid";
  a.job.log_dir = "/scratch/run/logs";
  a.job.command = {"/opt/idealgas/bin/idealgas", "sweep", "grid.toml", "--shard", "{task_id}/{task_count}"};
  a.array_size = 6;
  return a;
}

struct ShellRun {
  int exit_code = -1;
  std::string output;  // stdout, raw bytes
};

// Runs `command` through /bin/sh and captures its stdout (stderr is kept out of it unless redirected).
ShellRun run_shell(const std::string& command) {
  ShellRun r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Writes `script` and runs it with bash the way slurmstepd does, with SLURM_ARRAY_TASK_ID = `task_id`
// (unset if empty); stderr is discarded unless `keep_stderr`.
ShellRun run_script(const TempDir& dir, const std::string& script, const std::string& task_id,
               bool keep_stderr = false) {
  const fs::path file = dir.path() / "job.sh";
  idealgas::write_file_atomically(file, script);
  const std::string env = task_id.empty() ? "env -u SLURM_ARRAY_TASK_ID" : "env SLURM_ARRAY_TASK_ID=" + task_id;
  return run_shell(env + " bash '" + file.string() + "'" + (keep_stderr ? " 2>&1" : " 2>/dev/null"));
}

std::vector<std::string> split_nul(const std::string& bytes) {
  std::vector<std::string> words;
  std::string word;
  for (char c : bytes) {
    if (c == '\0') {
      words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  return words;
}

template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

// ---- the exact text ------------------------------------------------------------------------------------

TEST(SlurmScript, ArrayScriptTextWithEveryOption) {
  SlurmArrayJob a = example_array();
  a.job.partition = "gpu,gpu-long";
  a.job.time_limit = "1-12:00";
  a.job.cpus_per_task = 8;
  a.job.gpus_per_task = 1;
  a.job.environment = {{"OMP_NUM_THREADS", "8"}, {"RUN_NOTE", "it's a test"}};
  a.job.setup_lines = {"module load cuda/12.1"};
  a.array_limit = 2;
  const std::string expected =
      "#!/bin/bash\n"
      "# Written by idealgas: a Slurm job array of 6 tasks; task i runs with {task_id}=i, {task_count}=6.\n"
      "# Rerun failed tasks with: sbatch --array=I,J,... THIS_SCRIPT\n"
      "#SBATCH --job-name=grid\n"
      "#SBATCH --partition=gpu,gpu-long\n"
      "#SBATCH --time=1-12:00\n"
      "#SBATCH --cpus-per-task=8\n"
      "#SBATCH --gpus-per-task=1\n"
      "#SBATCH --array=0-5%2\n"
      "#SBATCH --output=\"/scratch/run/logs/%x-%A_%a.out\"\n"
      "#SBATCH --error=\"/scratch/run/logs/%x-%A_%a.err\"\n"
      "if ! [[ \"${SLURM_ARRAY_TASK_ID:-}\" =~ ^[0-9]{1,7}$ ]] || ((10#$SLURM_ARRAY_TASK_ID > 5)); then\n"
      "  echo \"this script runs as task 0-5 of a Slurm job array (sbatch THIS_SCRIPT), not as task "
      "'${SLURM_ARRAY_TASK_ID:-}'\" >&2\n"
      "  exit 2\n"
      "fi\n"
      "echo \"task $SLURM_ARRAY_TASK_ID of 6 (array job ${SLURM_ARRAY_JOB_ID:-?}, ${SLURM_ARRAY_TASK_COUNT:-?} "
      "tasks in this submission) on $(hostname)\" >&2\n"
      "set -eo pipefail\n"
      "export OMP_NUM_THREADS=8\n"
      "export RUN_NOTE='it'\\''s a test'\n"
      "module load cuda/12.1\n"
      "exec /opt/idealgas/bin/idealgas sweep grid.toml --shard \"${SLURM_ARRAY_TASK_ID}\"/6\n";
  EXPECT_EQ(idealgas::slurm_array_script(a), expected);
}

TEST(SlurmScript, ArrayScriptOmitsUnsetOptions) {
  const std::string s = idealgas::slurm_array_script(example_array());
  EXPECT_NE(s.find("#SBATCH --array=0-5\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --cpus-per-task=1\n"), std::string::npos);
  for (const char* absent : {"--partition", "--time", "--gpus-per-task", "export "})
    EXPECT_EQ(s.find(absent), std::string::npos) << absent;
}

TEST(SlurmScript, SingleTaskArrayRunsIndexZeroOnly) {
  SlurmArrayJob a = example_array();
  a.array_size = 1;
  EXPECT_NE(idealgas::slurm_array_script(a).find("#SBATCH --array=0-0\n"), std::string::npos);
}

TEST(SlurmScript, MergeScriptText) {
  SlurmJob m;
  m.job_name = "grid-merge";
  m.log_dir = "/scratch/run/logs/";
  m.command = {"idealgas", "sweep", "merge", "/scratch/run"};
  m.time_limit = "30";
  const std::string expected =
      "#!/bin/bash\n"
      "# Written by idealgas: the merge job, submitted with --dependency=afterok:ARRAY_JOB_ID.\n"
      "#SBATCH --job-name=grid-merge\n"
      "#SBATCH --time=30\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --output=\"/scratch/run/logs/%x-%j.out\"\n"
      "#SBATCH --error=\"/scratch/run/logs/%x-%j.err\"\n"
      "#SBATCH --kill-on-invalid-dep=yes\n"
      "set -eo pipefail\n"
      "exec idealgas sweep merge /scratch/run\n";
  EXPECT_EQ(idealgas::slurm_merge_script(m), expected);
}

// sbatch reads `"` and `\` as quoting inside #SBATCH values and Slurm reads `%` as a filename pattern, so a
// log folder holding them is escaped (the real sbatch resolves this one in tests/slurm/test_cluster.sh).
TEST(SlurmScript, LogFolderWithSpacesQuotesAndPercentIsEscaped) {
  SlurmArrayJob a = example_array();
  a.job.log_dir = "/scratch/my run's \"logs\" 100%#1";
  const std::string s = idealgas::slurm_array_script(a);
  EXPECT_NE(s.find("#SBATCH --output=\"/scratch/my run's \\\"logs\\\" 100%%#1/%x-%A_%a.out\"\n"),
            std::string::npos)
      << s;
}

// ---- what bash makes of it -----------------------------------------------------------------------------

TEST(SlurmScript, GeneratedScriptsPassBashSyntaxCheck) {
  TempDir dir;
  SlurmArrayJob a = example_array();
  a.job.command.push_back("it's \"quoted\" $HOME `uname` \\ \n end");
  a.job.environment = {{"NOTE", "a\nb'c\"d$e"}};
  SlurmJob m = a.job;
  m.command = {"idealgas", "sweep", "merge", "/dir with space/x"};
  for (const std::string& script : {idealgas::slurm_array_script(a), idealgas::slurm_merge_script(m)}) {
    idealgas::write_file_atomically(dir.path() / "s.sh", script);
    EXPECT_EQ(run_shell("bash -n '" + (dir.path() / "s.sh").string() + "' 2>&1").exit_code, 0) << script;
  }
}

// Each task's program receives exactly the argv given, whatever characters it holds, with the placeholders
// replaced by the task's index and the array size.
TEST(SlurmScript, TaskReceivesTheExactArgv) {
  TempDir dir;
  const std::vector<std::string> awkward = {
      "plain",  "with space", "it's",  "\"double\"", "$HOME",  "`uname`", "$(uname)", "a\\b",
      "new\nline", "tab\there", "*",   "~",          "a=b",    "",        "-n",       "{task_id}{task_count}",
      "--shard={task_id}/{task_count}", "pre{task_id}post", "{task_count", "%x%A", "!", "#not-a-comment"};
  SlurmArrayJob a = example_array();
  a.job.command = {"printf", "%s\\0"};
  a.job.command.insert(a.job.command.end(), awkward.begin(), awkward.end());
  const ShellRun r = run_script(dir, idealgas::slurm_array_script(a), "3");
  ASSERT_EQ(r.exit_code, 0);
  std::vector<std::string> expected = awkward;
  expected[15] = "36";
  expected[16] = "--shard=3/6";
  expected[17] = "pre3post";
  EXPECT_EQ(split_nul(r.output), expected);
}

TEST(SlurmScript, EnvironmentValuesArriveVerbatim) {
  TempDir dir;
  SlurmJob m;
  m.job_name = "env";
  m.log_dir = dir.path();
  const std::string value = "it's \"quoted\" $HOME `uname` \\n\nsecond line";
  m.environment = {{"IDEALGAS_NOTE", value}, {"EMPTY", ""}};
  m.command = {"printenv", "IDEALGAS_NOTE", "EMPTY"};
  const ShellRun r = run_script(dir, idealgas::slurm_merge_script(m), "");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, value + "\n\n");
}

TEST(SlurmScript, SetupLinesRunBeforeTheCommand) {
  TempDir dir;
  SlurmArrayJob a = example_array();
  a.job.setup_lines = {"greeting=hello", "export GREETING=\"$greeting from $SLURM_ARRAY_TASK_ID\""};
  a.job.command = {"printenv", "GREETING"};
  const ShellRun r = run_script(dir, idealgas::slurm_array_script(a), "4");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "hello from 4\n");
}

// The script refuses to run outside a job array or as a task the array does not have (e.g. resubmitted
// with a wider --array), exit code 2 and a message, before running anything.
TEST(SlurmScript, ArrayScriptRefusesBadTaskIndices) {
  TempDir dir;
  SlurmArrayJob a = example_array();
  a.job.command = {"printf", "ran"};
  const std::string script = idealgas::slurm_array_script(a);
  EXPECT_EQ(run_script(dir, script, "0").output, "ran");
  EXPECT_EQ(run_script(dir, script, "5").output, "ran");
  EXPECT_EQ(run_script(dir, script, "05").output, "ran");  // decimal, not octal
  for (const std::string bad : {"", "6", "99999999", "-1", "1;true", "x", "1 2"}) {
    const ShellRun r = run_script(dir, script, bad.empty() ? "" : "'" + bad + "'", true);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.output.find("runs as task 0-5 of a Slurm job array"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("ran"), std::string::npos) << bad;
  }
}

// A failing setup line stops the task with a non-zero code (set -e): Slurm then marks the task FAILED.
TEST(SlurmScript, FailingSetupLineFailsTheTask) {
  TempDir dir;
  SlurmArrayJob a = example_array();
  a.job.setup_lines = {"false"};
  a.job.command = {"printf", "ran"};
  const ShellRun r = run_script(dir, idealgas::slurm_array_script(a), "0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "");
}

// ---- shell quoting -------------------------------------------------------------------------------------

TEST(SlurmScript, ShellQuote) {
  EXPECT_EQ(idealgas::shell_quote("abc-1.5_x/y:z,w@v%u+t"), "abc-1.5_x/y:z,w@v%u+t");
  EXPECT_EQ(idealgas::shell_quote(""), "''");
  EXPECT_EQ(idealgas::shell_quote("a b"), "'a b'");
  EXPECT_EQ(idealgas::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(idealgas::shell_quote("$x"), "'$x'");
  EXPECT_EQ(idealgas::shell_quote("~"), "'~'");
  EXPECT_EQ(idealgas::shell_quote("a=b"), "'a=b'");
  EXPECT_EQ(idealgas::shell_quote("{a,b}"), "'{a,b}'");
  EXPECT_THROW(idealgas::shell_quote(std::string("a\0b", 3)), InputError);
}

// ---- time limits ---------------------------------------------------------------------------------------

// Reference values: the six forms of sbatch(1) --time, converted by hand (1 min = 60 s, 1 h = 3600 s,
// 1 day = 86400 s).
TEST(SlurmTimeLimit, AcceptsTheSixForms) {
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("90"), 5'400);            // minutes
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("5:30"), 330);            // minutes:seconds
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("0:1"), 1);
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("90:59"), 5'459);         // first field unbounded
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("1:00:00"), 3'600);       // hours:minutes:seconds
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("100:59:59"), 363'599);
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("2-12"), 216'000);        // days-hours
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("1-2:30"), 95'400);       // days-hours:minutes
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("1-2:30:15"), 95'415);    // days-hours:minutes:seconds
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("0-0:0:1"), 1);
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("007"), 420);             // leading zeros are decimal
  // The largest limit Slurm can hold: 2^32 - 3 minutes.
  EXPECT_EQ(idealgas::slurm_time_limit_seconds("4294967293"), 4'294'967'293LL * 60);
}

TEST(SlurmTimeLimit, RejectsEverythingElseOnOneLine) {
  for (const std::string bad :
       {"", "0", "0:00", "0-0", "1:2:3:4", "1-2-3", "1-", "-1", "1-2:3:4:5", ":5", "5:", "25:61:00", "90:60",
        "1-24", "1-2:60", "1-2:30:60", "1:60:00", " 5", "5 ", "5m", "+5", "0x10", "1.5", "INFINITE", "1\n2",
        "4294967294", "4294967293:01", "99999999999999999999", "153722867280912930:00", "106751991167300-0"}) {
    const std::string message = input_error_of([&] { idealgas::slurm_time_limit_seconds(bad); });
    EXPECT_NE(message.find("--time"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("accepted: MINUTES, MM:SS, HH:MM:SS"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// ---- every other rejected option -----------------------------------------------------------------------

TEST(SlurmScript, RejectsBadOptionsNamingThem) {
  struct Case {
    const char* what;
    void (*edit)(SlurmArrayJob&);
    const char* names;  // the message must contain this
  };
  const Case cases[] = {
      {"array size 0", [](SlurmArrayJob& a) { a.array_size = 0; }, "array size"},
      {"array size -1", [](SlurmArrayJob& a) { a.array_size = -1; }, "array size"},
      {"array size above Slurm's", [](SlurmArrayJob& a) { a.array_size = idealgas::kSlurmMaxArraySize + 1; },
       "array size"},
      {"array size LLONG_MAX", [](SlurmArrayJob& a) { a.array_size = LLONG_MAX; }, "array size"},
      {"array size LLONG_MIN", [](SlurmArrayJob& a) { a.array_size = LLONG_MIN; }, "array size"},
      {"limit 0", [](SlurmArrayJob& a) { a.array_limit = 0; }, "--array-limit"},
      {"limit -3", [](SlurmArrayJob& a) { a.array_limit = -3; }, "--array-limit"},
      {"cpus 0", [](SlurmArrayJob& a) { a.job.cpus_per_task = 0; }, "--cpus-per-task"},
      {"cpus 65534", [](SlurmArrayJob& a) { a.job.cpus_per_task = 65'534; }, "--cpus-per-task"},
      {"cpus 2^32 (sbatch wraps it to 0)", [](SlurmArrayJob& a) { a.job.cpus_per_task = 4'294'967'296LL; },
       "--cpus-per-task"},
      {"gpus 0", [](SlurmArrayJob& a) { a.job.gpus_per_task = 0; }, "--gpus-per-task"},
      {"gpus -1", [](SlurmArrayJob& a) { a.job.gpus_per_task = -1; }, "--gpus-per-task"},
      {"empty name", [](SlurmArrayJob& a) { a.job.job_name = ""; }, "--job-name"},
      {"name with space", [](SlurmArrayJob& a) { a.job.job_name = "my grid"; }, "--job-name"},
      {"name with slash", [](SlurmArrayJob& a) { a.job.job_name = "a/b"; }, "--job-name"},
      {"name with newline", [](SlurmArrayJob& a) { a.job.job_name = "a\n#SBATCH --mem=1T"; }, "--job-name"},
      {"name with #", [](SlurmArrayJob& a) { a.job.job_name = "a#b"; }, "--job-name"},
      {"empty partition", [](SlurmArrayJob& a) { a.job.partition = ""; }, "--partition"},
      {"partition a,,b", [](SlurmArrayJob& a) { a.job.partition = "a,,b"; }, "--partition"},
      {"partition ,a", [](SlurmArrayJob& a) { a.job.partition = ",a"; }, "--partition"},
      {"partition a,", [](SlurmArrayJob& a) { a.job.partition = "a,"; }, "--partition"},
      {"partition with space", [](SlurmArrayJob& a) { a.job.partition = "gpu --mem=1T"; }, "--partition"},
      {"partition with newline", [](SlurmArrayJob& a) { a.job.partition = "gpu\nrm -rf x"; }, "--partition"},
      {"bad time", [](SlurmArrayJob& a) { a.job.time_limit = "1h"; }, "--time"},
      {"relative log folder", [](SlurmArrayJob& a) { a.job.log_dir = "logs"; }, "log folder"},
      {"empty log folder", [](SlurmArrayJob& a) { a.job.log_dir = ""; }, "log folder"},
      {"log folder with newline", [](SlurmArrayJob& a) { a.job.log_dir = "/x\n#SBATCH --mem=1T"; }, "log folder"},
      {"log folder with CR", [](SlurmArrayJob& a) { a.job.log_dir = "/x\ry"; }, "log folder"},
      {"log folder with backslash", [](SlurmArrayJob& a) { a.job.log_dir = "/x\\y"; }, "log folder"},
      {"log folder with NUL", [](SlurmArrayJob& a) { a.job.log_dir = std::string("/x\0y", 4); }, "log folder"},
      {"no command", [](SlurmArrayJob& a) { a.job.command.clear(); }, "command is empty"},
      {"empty program", [](SlurmArrayJob& a) { a.job.command = {"", "x"}; }, "command is empty"},
      {"NUL in argument", [](SlurmArrayJob& a) { a.job.command.push_back(std::string("a\0b", 3)); }, "NUL"},
      {"bad env name", [](SlurmArrayJob& a) { a.job.environment = {{"1X", "v"}}; }, "environment variable"},
      {"env name with =", [](SlurmArrayJob& a) { a.job.environment = {{"A=B", "v"}}; }, "environment variable"},
      {"env name with -", [](SlurmArrayJob& a) { a.job.environment = {{"A-B", "v"}}; }, "environment variable"},
      {"empty env name", [](SlurmArrayJob& a) { a.job.environment = {{"", "v"}}; }, "environment variable"},
      {"Slurm's env name", [](SlurmArrayJob& a) { a.job.environment = {{"SLURM_ARRAY_TASK_ID", "1"}}; },
       "Slurm's own"},
      {"env twice", [](SlurmArrayJob& a) { a.job.environment = {{"A", "1"}, {"A", "2"}}; }, "given twice"},
      {"env value NUL", [](SlurmArrayJob& a) { a.job.environment = {{"A", std::string("1\0", 2)}}; }, "NUL"},
      {"setup newline", [](SlurmArrayJob& a) { a.job.setup_lines = {"module load x\nrm -rf y"}; }, "setup line"},
      {"setup CR", [](SlurmArrayJob& a) { a.job.setup_lines = {"module load x\r"}; }, "setup line"},
      {"setup continuation", [](SlurmArrayJob& a) { a.job.setup_lines = {"module load x \\"}; }, "setup line"},
  };
  for (const Case& c : cases) {
    SlurmArrayJob a = example_array();
    c.edit(a);
    const std::string message = input_error_of([&] { idealgas::slurm_array_script(a); });
    EXPECT_NE(message.find(c.names), std::string::npos) << c.what << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.what << ": " << message;
    // The merge script shares every job option.
    if (std::string(c.names) != "array size" && std::string(c.names) != "--array-limit") {
      const std::string merge_message = input_error_of([&] { idealgas::slurm_merge_script(a.job); });
      EXPECT_NE(merge_message.find(c.names), std::string::npos) << c.what << " (merge): " << merge_message;
    }
  }
}

TEST(SlurmScript, AcceptsTheLimitsThemselves) {
  SlurmArrayJob a = example_array();
  a.array_size = idealgas::kSlurmMaxArraySize;
  a.array_limit = idealgas::kSlurmMaxArraySize;
  a.job.cpus_per_task = idealgas::kSlurmMaxPerTaskCount;
  a.job.gpus_per_task = idealgas::kSlurmMaxPerTaskCount;
  const std::string s = idealgas::slurm_array_script(a);
  EXPECT_NE(s.find("#SBATCH --array=0-4000000%4000001\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --cpus-per-task=65533\n"), std::string::npos);
}

TEST(SlurmScript, MergeCommandCannotUseTaskPlaceholders) {
  SlurmJob m = example_array().job;  // its command holds {task_id}/{task_count}
  const std::string message = input_error_of([&] { idealgas::slurm_merge_script(m); });
  EXPECT_NE(message.find("only array tasks have"), std::string::npos) << message;
}

// ---- submission, against stand-in sbatch programs on PATH ----------------------------------------------

namespace {

// Puts a stand-in `sbatch` (a shell script with `body`) first on PATH for the lifetime of the object.
class FakeSbatch {
 public:
  FakeSbatch(const TempDir& dir, const std::string& body) : old_path_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    const fs::path bin = dir.path() / "bin";
    fs::create_directories(bin);
    idealgas::write_file_atomically(bin / "sbatch", "#!/bin/sh\n" + body + "\n");
    ::chmod((bin / "sbatch").c_str(), 0755);
    ::setenv("PATH", (bin.string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeSbatch() { ::setenv("PATH", old_path_.c_str(), 1); }

 private:
  std::string old_path_;
};

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const idealgas::Error& e) {
    return e.what();
  }
  return "(no Error)";
}

}  // namespace

TEST(SbatchSubmit, PassesParsableAndDependencyAndReturnsTheId) {
  TempDir dir;
  const fs::path args = dir.path() / "args";
  FakeSbatch fake(dir, "printf '%s\\n' \"$@\" > '" + args.string() + "'; echo 4242");
  EXPECT_EQ(idealgas::sbatch_submit(dir.path() / "my job.sh"), 4242u);
  EXPECT_EQ(idealgas::read_file(args), "--parsable\n" + (dir.path() / "my job.sh").string() + "\n");
  EXPECT_EQ(idealgas::sbatch_submit(dir.path() / "merge.sh", 4242u), 4242u);
  EXPECT_EQ(idealgas::read_file(args),
            "--parsable\n--dependency=afterok:4242\n" + (dir.path() / "merge.sh").string() + "\n");
}

TEST(SbatchSubmit, AcceptsTheFederatedForm) {
  TempDir dir;
  FakeSbatch fake(dir, "echo '77;cluster2'");
  EXPECT_EQ(idealgas::sbatch_submit(dir.path() / "j.sh"), 77u);
}

TEST(SbatchSubmit, FailureCarriesSbatchStderrOnOneLine) {
  TempDir dir;
  FakeSbatch fake(dir,
                  "echo 'sbatch: error: Batch job submission failed:' >&2; echo 'Invalid partition name "
                  "specified' >&2; exit 1");
  const std::string message = error_of([&] { idealgas::sbatch_submit(dir.path() / "j.sh"); });
  EXPECT_NE(message.find("failed with exit code 1: sbatch: error: Batch job submission failed: | Invalid "
                         "partition name specified"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(SbatchSubmit, NoJobIdPrintedIsAnError) {
  TempDir dir;
  for (const std::string out : {"", "Submitted batch job 5", "0", "4294967296", "12x", "-3", "12\\n13", ";c"}) {
    FakeSbatch fake(dir, "printf '%b\\n' '" + out + "'");  // %b: "12\\n13" prints two lines
    const std::string message = error_of([&] { idealgas::sbatch_submit(dir.path() / "j.sh"); });
    EXPECT_NE(message.find("instead of a job id"), std::string::npos) << out << ": " << message;
  }
}

TEST(SbatchSubmit, KilledBySignalIsAnError) {
  TempDir dir;
  FakeSbatch fake(dir, "kill -TERM $$");
  const std::string message = error_of([&] { idealgas::sbatch_submit(dir.path() / "j.sh"); });
  EXPECT_NE(message.find("killed by signal 15"), std::string::npos) << message;
}

// Output larger than a pipe's buffer on the stream not read first must not deadlock; a long message is
// cut to one readable line.
TEST(SbatchSubmit, LargeOutputOnBothStreams) {
  TempDir dir;
  {
    FakeSbatch fake(dir, "head -c 300000 /dev/zero | tr '\\0' e >&2; echo 9");
    EXPECT_EQ(idealgas::sbatch_submit(dir.path() / "j.sh"), 9u);
  }
  FakeSbatch fake(dir, "head -c 300000 /dev/zero | tr '\\0' o; head -c 300000 /dev/zero | tr '\\0' e >&2");
  const std::string message = error_of([&] { idealgas::sbatch_submit(dir.path() / "j.sh"); });
  EXPECT_NE(message.find("instead of a job id"), std::string::npos);
  EXPECT_NE(message.find("(300000 characters in all)"), std::string::npos);
  EXPECT_LT(message.size(), 1000u);
}

TEST(SbatchSubmit, MissingSbatchIsNamed) {
  TempDir dir;
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.path().c_str(), 1);  // an empty folder: no sbatch anywhere on PATH
  const std::string message = error_of([&] { idealgas::sbatch_submit(dir.path() / "j.sh"); });
  ::setenv("PATH", old_path.c_str(), 1);
  EXPECT_NE(message.find("sbatch not found on PATH"), std::string::npos) << message;
}
