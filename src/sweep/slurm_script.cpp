#include "idealgas/sweep/slurm_script.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

// Slurm keeps time limits in minutes in 32 bits, with 0xfffffffe (NO_VAL) and 0xffffffff (INFINITE)
// reserved; sbatch rounds seconds up to whole minutes.
constexpr long long kSlurmMaxTimeMinutes = 0xfffffffdLL;

constexpr std::string_view kTimeForms =
    "MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (digits only, e.g. 90, 1:30:00, 2-12)";

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

void require_count(std::string_view flag, long long value, long long max) {
  if (value < 1 || value > max)
    throw InputError(fmt::format("{} must be a whole number in [1, {}], got {}", flag, max, value));
}

void require_job_name(std::string_view name) {
  bool ok = !name.empty();
  for (char c : name) ok = ok && is_name_char(c);
  if (!ok)
    throw InputError(fmt::format("--job-name {:?} must be non-empty and made of letters, digits, '.', '_', '-' "
                                 "(it also names the log files)",
                                 name));
}

// NAME[,NAME...]: sbatch reads a list as "any of these partitions".
void require_partition(std::string_view partition) {
  bool ok = !partition.empty() && partition.front() != ',' && partition.back() != ',';
  for (std::size_t i = 0; i < partition.size(); ++i) {
    const char c = partition[i];
    const bool separator = c == ',' && i + 1 < partition.size() && partition[i + 1] != ',';
    ok = ok && (is_name_char(c) || separator);
  }
  if (!ok)
    throw InputError(fmt::format("--partition {:?} must be a partition name or a comma-separated list of "
                                 "names made of letters, digits, '.', '_', '-'",
                                 partition));
}

// The folder goes into `#SBATCH --output="DIR/..."`: sbatch reads \ and " as escapes, Slurm reads % as a
// filename pattern and a literal \ as "no patterns at all"; control characters would end or corrupt the line.
void require_log_dir(const std::filesystem::path& dir) {
  const std::string& text = dir.native();
  if (text.empty() || !dir.is_absolute())
    throw InputError(fmt::format("log folder {:?} must be an absolute path (Slurm would open a relative one "
                                 "from the job's working folder)",
                                 text));
  for (char c : text)
    if (is_control(c) || c == '\\')
      throw InputError(fmt::format("log folder {:?} contains a control character or '\\', which a #SBATCH "
                                   "--output line cannot carry; choose another folder",
                                   text));
}

// `#SBATCH --output="…"` value: " escaped for sbatch's parser, % doubled for Slurm's filename patterns.
std::string sbatch_log_path(const std::filesystem::path& dir, std::string_view file_pattern) {
  std::string out = "\"";
  for (char c : dir.native()) {
    if (c == '"') out += "\\\"";
    else if (c == '%') out += "%%";
    else out += c;
  }
  if (out.back() != '/') out += '/';
  out += file_pattern;
  out += '"';
  return out;
}

void require_environment(const std::vector<SlurmEnvVar>& environment) {
  std::set<std::string_view> seen;
  for (const SlurmEnvVar& var : environment) {
    const std::string_view name = var.name;
    bool ok = !name.empty() && !(name.front() >= '0' && name.front() <= '9');
    for (char c : name) ok = ok && ((is_name_char(c) && c != '.' && c != '-'));
    if (!ok)
      throw InputError(fmt::format("environment variable name {:?} must match [A-Za-z_][A-Za-z0-9_]*", name));
    if (name.substr(0, 6) == "SLURM_")
      throw InputError(fmt::format("environment variable {} is Slurm's own (SLURM_*); it cannot be set by the "
                                   "job script",
                                   name));
    if (!seen.insert(name).second)
      throw InputError(fmt::format("environment variable {} is given twice", name));
    if (var.value.find('\0') != std::string::npos)
      throw InputError(fmt::format("environment variable {} has a NUL byte in its value", name));
  }
}

void require_setup_lines(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    // A newline would smuggle a second line in; a final '\' would join the next line (the command) to it.
    if (line.find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos ||
        (!line.empty() && line.back() == '\\'))
      throw InputError(fmt::format("setup line {:?} must be one line, without NUL and not ending in '\\'", line));
  }
}

bool has_placeholder(std::string_view word) {
  return word.find(kSlurmTaskIdPlaceholder) != std::string_view::npos ||
         word.find(kSlurmTaskCountPlaceholder) != std::string_view::npos;
}

void require_command(const std::vector<std::string>& command) {
  if (command.empty() || command.front().empty())
    throw InputError("the job's command is empty; give the program to run and its arguments");
}

// One argv word with the task placeholders expanded by the shell: literal parts quoted, {task_id} as
// "${SLURM_ARRAY_TASK_ID}", {task_count} as the array size written out.
std::string expand_task_word(std::string_view word, long long array_size) {
  std::string out;
  std::size_t start = 0;
  while (start < word.size()) {
    const std::size_t at_id = word.find(kSlurmTaskIdPlaceholder, start);
    const std::size_t at_count = word.find(kSlurmTaskCountPlaceholder, start);
    const std::size_t at = std::min(at_id, at_count);
    if (at > start) out += shell_quote(word.substr(start, at - start));
    if (at == std::string_view::npos) break;
    if (at == at_id) {
      out += "\"${SLURM_ARRAY_TASK_ID}\"";
      start = at + kSlurmTaskIdPlaceholder.size();
    } else {
      out += std::to_string(array_size);
      start = at + kSlurmTaskCountPlaceholder.size();
    }
  }
  return out.empty() ? shell_quote(word) : out;
}

// The #SBATCH lines shared by both kinds of job (the caller adds --array and the log paths).
std::string common_directives(const SlurmJob& job) {
  std::string out = fmt::format("#SBATCH --job-name={}\n", job.job_name);
  if (job.partition) out += fmt::format("#SBATCH --partition={}\n", *job.partition);
  if (job.time_limit) out += fmt::format("#SBATCH --time={}\n", *job.time_limit);
  out += fmt::format("#SBATCH --cpus-per-task={}\n", job.cpus_per_task);
  if (job.gpus_per_task) out += fmt::format("#SBATCH --gpus-per-task={}\n", *job.gpus_per_task);
  return out;
}

// Validates every option common to both kinds of job (the caller checks the array options).
void require_job(const SlurmJob& job) {
  require_job_name(job.job_name);
  if (job.partition) require_partition(*job.partition);
  if (job.time_limit) slurm_time_limit_seconds(*job.time_limit);
  require_count("--cpus-per-task", job.cpus_per_task, kSlurmMaxPerTaskCount);
  if (job.gpus_per_task) require_count("--gpus-per-task", *job.gpus_per_task, kSlurmMaxPerTaskCount);
  require_log_dir(job.log_dir);
  require_command(job.command);
  for (const std::string& word : job.command) shell_quote(word);  // throws on NUL
  require_environment(job.environment);
  require_setup_lines(job.setup_lines);
}

// Environment, setup lines and the exec'd command: the body shared by both kinds of job.
std::string job_body(const SlurmJob& job, long long array_size) {
  std::string out = "set -eo pipefail\n";
  for (const SlurmEnvVar& var : job.environment) out += fmt::format("export {}={}\n", var.name, shell_quote(var.value));
  for (const std::string& line : job.setup_lines) out += line + "\n";
  out += "exec";
  for (const std::string& word : job.command) out += " " + expand_task_word(word, array_size);
  out += "\n";
  return out;
}

}  // namespace

long long slurm_time_limit_seconds(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    throw InputError(fmt::format("--time {:?} is not a Slurm time limit ({}); accepted: {}", text, why, kTimeForms));
  };
  std::string_view rest = text;
  std::optional<long long> days;
  std::array<long long, 3> fields{};  // as written, left to right
  std::size_t n_fields = 0;
  const auto parse_field = [&](std::string_view digits) {
    if (digits.empty()) fail("an empty field");
    for (char c : digits)
      if (c < '0' || c > '9') fail("only digits, ':' and one '-' may appear");
    long long value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) fail("a field is too large");
    return value;
  };
  if (const std::size_t dash = rest.find('-'); dash != std::string_view::npos) {
    days = parse_field(rest.substr(0, dash));
    rest = rest.substr(dash + 1);
  }
  while (true) {
    const std::size_t colon = rest.find(':');
    if (n_fields == fields.size()) fail("too many ':' fields");
    fields[n_fields++] = parse_field(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  // Unit of each field as written: "M", "M:S", "H:M:S" without days; "D-H", "D-H:M", "D-H:M:S" with.
  struct Unit {
    long long seconds;
    long long bound;  // a field that follows another must stay below this
    std::string_view name;
  };
  constexpr Unit kHours{3'600, 24, "hours"}, kMinutes{60, 60, "minutes"}, kSeconds{1, 60, "seconds"};
  std::array<Unit, 3> units{kHours, kMinutes, kSeconds};
  if (!days && n_fields == 1) units = {kMinutes};
  if (!days && n_fields == 2) units = {kMinutes, kSeconds};

  long long total = 0;  // seconds, with every step checked for overflow
  const auto add_scaled = [&](long long value, long long scale) {
    long long scaled = 0;
    if (__builtin_mul_overflow(value, scale, &scaled) || __builtin_add_overflow(total, scaled, &total))
      fail("too long");
  };
  add_scaled(days.value_or(0), 86'400);
  for (std::size_t i = 0; i < n_fields; ++i) {
    const bool follows_another = days.has_value() || i > 0;
    if (follows_another && fields[i] >= units[i].bound)
      fail(fmt::format("{} must be below {} there", units[i].name, units[i].bound));
    add_scaled(fields[i], units[i].seconds);
  }
  if (total == 0) fail("zero, which Slurm reads as 'no limit'; omit --time for the partition's limit");
  if (total / 60 + (total % 60 != 0) > kSlurmMaxTimeMinutes) fail("longer than Slurm can hold");
  return total;
}

std::string shell_quote(std::string_view word) {
  if (word.find('\0') != std::string_view::npos)
    throw InputError(fmt::format("command word {:?} holds a NUL byte, which no program argument can carry", word));
  bool plain = !word.empty();
  for (char c : word) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("_@%+:,./-").find(c) != std::string_view::npos;
    plain = plain && safe;
  }
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

std::string slurm_array_script(const SlurmArrayJob& array) {
  const SlurmJob& job = array.job;
  require_job(job);
  require_count("array size", array.array_size, kSlurmMaxArraySize);
  if (array.array_limit) require_count("--array-limit", *array.array_limit, kSlurmMaxArraySize);
  const long long last_index = array.array_size - 1;  // array_size >= 1 checked above

  std::string out = "#!/bin/bash\n";
  out += fmt::format("# Written by idealgas: a Slurm job array of {} tasks; task i runs with {}=i, {}={}.\n",
                     array.array_size, kSlurmTaskIdPlaceholder, kSlurmTaskCountPlaceholder, array.array_size);
  out += "# Rerun failed tasks with: sbatch --array=I,J,... THIS_SCRIPT\n";
  out += common_directives(job);
  out += fmt::format("#SBATCH --array=0-{}{}\n", last_index,
                     array.array_limit ? fmt::format("%{}", *array.array_limit) : std::string());
  out += fmt::format("#SBATCH --output={}\n", sbatch_log_path(job.log_dir, "%x-%A_%a.out"));
  out += fmt::format("#SBATCH --error={}\n", sbatch_log_path(job.log_dir, "%x-%A_%a.err"));
  // 7 digits hold every index Slurm can give (kSlurmMaxArraySize); 10# reads them as decimal.
  out += fmt::format(
      "if ! [[ \"${{SLURM_ARRAY_TASK_ID:-}}\" =~ ^[0-9]{{1,7}}$ ]] || ((10#$SLURM_ARRAY_TASK_ID > {0})); then\n"
      "  echo \"this script runs as task 0-{0} of a Slurm job array (sbatch THIS_SCRIPT), not as task "
      "'${{SLURM_ARRAY_TASK_ID:-}}'\" >&2\n"
      "  exit 2\n"
      "fi\n",
      last_index);
  out += fmt::format(
      "echo \"task $SLURM_ARRAY_TASK_ID of {} (array job ${{SLURM_ARRAY_JOB_ID:-?}}, "
      "${{SLURM_ARRAY_TASK_COUNT:-?}} tasks in this submission) on $(hostname)\" >&2\n",
      array.array_size);
  out += job_body(job, array.array_size);
  return out;
}

std::string slurm_merge_script(const SlurmJob& merge) {
  require_job(merge);
  for (const std::string& word : merge.command)
    if (has_placeholder(word))
      throw InputError(fmt::format("merge command word {:?} uses {} or {}, which only array tasks have", word,
                                   kSlurmTaskIdPlaceholder, kSlurmTaskCountPlaceholder));
  std::string out = "#!/bin/bash\n";
  out += "# Written by idealgas: the merge job, submitted with --dependency=afterok:ARRAY_JOB_ID.\n";
  out += common_directives(merge);
  out += fmt::format("#SBATCH --output={}\n", sbatch_log_path(merge.log_dir, "%x-%j.out"));
  out += fmt::format("#SBATCH --error={}\n", sbatch_log_path(merge.log_dir, "%x-%j.err"));
  // A failed task makes afterok unsatisfiable: cancel this job then rather than leave it pending forever.
  out += "#SBATCH --kill-on-invalid-dep=yes\n";
  out += job_body(merge, 0);
  return out;
}

}  // namespace idealgas
