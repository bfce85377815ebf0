// .npy reader and writer: a float64 round trip, float32 bytes written by hand, format versions 2 and 3, one test
// per way a file can be wrong (each checking the error type and that the message names the problem), the strict
// header grammar case by case with numpy's own verdict recorded beside ours (and checked against numpy when
// python3 with numpy is installed), sizes that wrap past 2^64, and paths that are not regular files (a FIFO
// without a writer must be refused at once, not waited on).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <csignal>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/run_cli.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/npy_stream.hpp"

#ifndef IDEALGAS_CLI_PATH
#define IDEALGAS_CLI_PATH ""
#endif

namespace fs = std::filesystem;
using idealgas::InputError;
using idealgas::IoError;
using idealgas::NpyDtype;

namespace {

// A fresh folder per test, removed afterwards.
class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("idealgas_test_npy_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// The bytes of an .npy file: magic, version, header length (2 bytes for 1.0, 4 for 2.0 and 3.0), the dict
// padded with spaces and ended by '\n' to a multiple of 64 bytes, then the payload.
std::string npy_bytes(int major, const std::string& dict, const std::string& payload) {
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  const std::size_t unpadded = 8 + len_bytes + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (std::size_t b = 0; b < len_bytes; ++b) out.push_back(static_cast<char>((header.size() >> (8 * b)) & 0xff));
  return out + header + payload;
}

std::string dict(const std::string& descr, const std::string& fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

template <class T>
std::string le_bytes(const std::vector<T>& values) {
  std::string out;
  for (T v : values) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    for (std::size_t b = 0; b < sizeof(T); ++b) out.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
  }
  return out;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Runs `f`, requires it to throw exactly E, and requires every needle in the message.
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type, message: " << e.what();
  }
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_F(NpyTest, Float64RoundTripIsBitwise) {
  const std::vector<double> data = {1.0 / 3.0, -0.0, 1e-300, 4.9e-324, 1e300, 3.141592653589793,
                                    -2.5, std::numeric_limits<double>::max(), 7.0, -1e-17, 0.1, 42.0};
  const std::string p = path("round.npy");
  idealgas::write_npy(p, data.data(), 3, 4);
  EXPECT_EQ((fs::file_size(p) - data.size() * 8) % 64, 0u) << "header padded to 64 bytes";
  const auto m = idealgas::read_npy(p);
  EXPECT_EQ(m.rows, 3u);
  EXPECT_EQ(m.cols, 4u);
  EXPECT_EQ(m.dtype, NpyDtype::float64);
  ASSERT_EQ(m.data.size(), data.size());
  for (std::size_t i = 0; i < data.size(); ++i) EXPECT_TRUE(same_bits(m.data[i], data[i])) << i;
  EXPECT_TRUE(same_bits(m.row(2)[1], data[9]));
  // No temporary file left behind by the atomic write.
  std::size_t n_files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) n_files += e.is_regular_file();
  EXPECT_EQ(n_files, 1u);
}

TEST_F(NpyTest, EmptyAndSingleElementShapes) {
  const std::string p0 = path("empty.npy");
  idealgas::write_npy(p0, nullptr, 0, 5);
  const auto m0 = idealgas::read_npy(p0);
  EXPECT_EQ(m0.rows, 0u);
  EXPECT_EQ(m0.cols, 5u);
  EXPECT_TRUE(m0.data.empty());
  const double one = -3.25;
  idealgas::write_npy(path("one.npy"), &one, 1, 1);
  EXPECT_EQ(idealgas::read_npy(path("one.npy")).data, std::vector<double>{-3.25});
}

TEST_F(NpyTest, Float32WrittenByHandIsWidenedExactly) {
  const std::vector<float> values = {1.5f, -2.25f, 0.1f, 3.0e38f, 1e-45f, -0.0f};
  const std::string p = path("f4.npy");
  write_bytes(p, npy_bytes(1, dict("<f4", "False", "(2, 3)"), le_bytes(values)));
  const auto m = idealgas::read_npy(p);
  EXPECT_EQ(m.dtype, NpyDtype::float32);
  EXPECT_STREQ(idealgas::npy_dtype_descr(m.dtype), "<f4");
  ASSERT_EQ(m.rows, 2u);
  ASSERT_EQ(m.cols, 3u);
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_TRUE(same_bits(m.data[i], static_cast<double>(values[i]))) << i;
}

TEST_F(NpyTest, FormatVersions2And3AndByteOrderMarkers) {
  const std::vector<double> values = {1.0, 2.0, 3.0, 4.0};
  for (int major : {2, 3}) {
    const std::string p = path("v" + std::to_string(major) + ".npy");
    write_bytes(p, npy_bytes(major, dict("<f8", "False", "(2, 2)"), le_bytes(values)));
    const auto m = idealgas::read_npy(p);
    EXPECT_EQ(m.rows, 2u);
    EXPECT_EQ(m.data, values);
  }
  // '|' and '=' (native) mean little-endian on the little-endian hosts this project targets.
  const std::uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  if (first == 1) {
    for (const char* descr : {"|f8", "=f8"}) {
      write_bytes(path("bo.npy"), npy_bytes(1, dict(descr, "False", "(4, 1)"), le_bytes(values)));
      EXPECT_EQ(idealgas::read_npy(path("bo.npy")).data, values) << descr;
    }
    write_bytes(path("bo4.npy"), npy_bytes(1, dict("=f4", "False", "(1, 2)"), le_bytes(std::vector<float>{1, 2})));
    EXPECT_EQ(idealgas::read_npy(path("bo4.npy")).dtype, NpyDtype::float32);
  }
  // Header written with double quotes and Python-2 long shape literals still parses.
  write_bytes(path("dq.npy"), npy_bytes(1, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2L, 2L)}",
                                        le_bytes(values)));
  EXPECT_EQ(idealgas::read_npy(path("dq.npy")).cols, 2u);
}

TEST_F(NpyTest, TrailingBytesAreIgnoredAsNumpyDoes) {
  const std::vector<double> values = {5.0, 6.0};
  write_bytes(path("t.npy"), npy_bytes(1, dict("<f8", "False", "(1, 2)"), le_bytes(values) + "extra bytes"));
  EXPECT_EQ(idealgas::read_npy(path("t.npy")).data, values);
}

TEST_F(NpyTest, MissingFileIsAnIoErrorNamingThePath) {
  const std::string p = path("does_not_exist.npy");
  expect_error<IoError>([&] { idealgas::read_npy(p); }, {p, "check the path"});
}

TEST_F(NpyTest, BadMagicIsAnIoError) {
  write_bytes(path("bad.npy"), "this is a text file, not numpy");
  expect_error<IoError>([&] { idealgas::read_npy(path("bad.npy")); }, {path("bad.npy"), "not a .npy file"});
  write_bytes(path("short.npy"), "\x93NUM");
  expect_error<IoError>([&] { idealgas::read_npy(path("short.npy")); }, {"truncated"});
}

TEST_F(NpyTest, IntegerDtypeIsAnInputErrorNamingWhatIsExpected) {
  write_bytes(path("i4.npy"), npy_bytes(1, dict("<i4", "False", "(2, 2)"), std::string(16, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("i4.npy")); },
                           {path("i4.npy") + ": dtype '<i4' is not supported; expected float32 ('<f4') or "
                                             "float64 ('<f8'), little-endian"});
  write_bytes(path("f2.npy"), npy_bytes(1, dict("<f2", "False", "(2, 2)"), std::string(8, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("f2.npy")); }, {"dtype '<f2' is not supported"});
  write_bytes(path("rec.npy"), npy_bytes(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1), }",
                                         std::string(8, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("rec.npy")); }, {"structured dtype"});
}

TEST_F(NpyTest, BigEndianIsAnInputError) {
  write_bytes(path("be.npy"), npy_bytes(1, dict(">f8", "False", "(1, 2)"), std::string(16, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("be.npy")); }, {"'>f8'", "big-endian", "astype('<f8')"});
}

TEST_F(NpyTest, FortranOrderIsAnInputError) {
  write_bytes(path("fo.npy"), npy_bytes(1, dict("<f8", "True", "(2, 2)"), std::string(32, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("fo.npy")); }, {"fortran_order is True", "C order"});
}

TEST_F(NpyTest, WrongNumberOfDimensionsIsAnInputError) {
  write_bytes(path("3d.npy"), npy_bytes(1, dict("<f8", "False", "(2, 3, 4)"), std::string(192, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("3d.npy")); }, {"shape (2, 3, 4)", "3 dimension", "2-D"});
  write_bytes(path("1d.npy"), npy_bytes(1, dict("<f8", "False", "(5,)"), std::string(40, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("1d.npy")); }, {"shape (5,)", "1 dimension", "reshape"});
  write_bytes(path("0d.npy"), npy_bytes(1, dict("<f8", "False", "()"), std::string(8, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("0d.npy")); }, {"0 dimension"});
}

TEST_F(NpyTest, TruncatedDataIsAnIoError) {
  const std::vector<double> values = {1, 2, 3, 4, 5};  // 5 of the 6 values promised
  write_bytes(path("trunc.npy"), npy_bytes(1, dict("<f8", "False", "(2, 3)"), le_bytes(values)));
  expect_error<IoError>([&] { idealgas::read_npy(path("trunc.npy")); },
                        {path("trunc.npy"), "truncated", "needs 48 bytes", "holds 40", "numpy.save"});
  // Header length pointing past the end of the file.
  std::string bytes = npy_bytes(1, dict("<f8", "False", "(1, 1)"), "");
  bytes[8] = '\xff';
  bytes[9] = '\x7f';
  write_bytes(path("trunc_header.npy"), bytes);
  expect_error<IoError>([&] { idealgas::read_npy(path("trunc_header.npy")); }, {"truncated"});
}

TEST_F(NpyTest, CorruptHeaderAndUnknownVersion) {
  write_bytes(path("garbage.npy"), npy_bytes(1, "{'descr': '<f8', 'fortran_order': maybe, 'shape': (1, 1)}",
                                             std::string(8, '\0')));
  expect_error<IoError>([&] { idealgas::read_npy(path("garbage.npy")); }, {"corrupt .npy header"});
  write_bytes(path("nokey.npy"), npy_bytes(1, "{'descr': '<f8', 'shape': (1, 1)}", std::string(8, '\0')));
  expect_error<IoError>([&] { idealgas::read_npy(path("nokey.npy")); }, {"corrupt .npy header"});
  write_bytes(path("v4.npy"), npy_bytes(4, dict("<f8", "False", "(1, 1)"), std::string(8, '\0')));
  expect_error<InputError>([&] { idealgas::read_npy(path("v4.npy")); }, {"version 4.0"});
}

TEST_F(NpyTest, WriterReportsAnUnwritablePath) {
  write_bytes(path("a_file"), "x");
  const double v = 1.0;
  expect_error<IoError>([&] { idealgas::write_npy(path("a_file") + "/sub/x.npy", &v, 1, 1); }, {"a_file"});
}

TEST_F(NpyTest, CliReportsABadFileOnOneLineAndFails) {
  if (!idealgas::testing::cli_built()) GTEST_SKIP() << "the idealgas CLI is not built";
  write_bytes(path("i4.npy"), npy_bytes(1, dict("<i4", "False", "(2, 2)"), std::string(16, '\0')));
  for (const std::string& file : {path("i4.npy"), path("missing.npy")}) {
    const auto [exit_code, output] = idealgas::testing::run_cli("entropy '" + file + "'");
    EXPECT_NE(exit_code, 0) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_NE(output.find(file), std::string::npos) << output;
    if (file == path("i4.npy")) {
      EXPECT_NE(output.find("dtype '<i4' is not supported"), std::string::npos) << output;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The header grammar, case by case (npy_header.hpp). Each case records numpy.load's verdict (numpy 1.24.2, the
// Debian 12 package; NumpyAgreesWithTheRecordedVerdicts checks it again whenever python3 with numpy is present)
// and ours: every file numpy writes is read, nothing numpy refuses is read, and where numpy's literal_eval is lax
// (duplicate keys, comments, tabs, expressions) idealgas refuses what numpy never writes.
namespace {

enum class Ours { reads, io_error, input_error };

struct HeaderCase {
  std::string name;
  std::string file;  // every byte of the file
  bool numpy_reads;  // numpy.load returns an array
  Ours ours;
  std::string needle;  // in our error message; for Ours::reads, the shape "rows,cols" read
};

// The bytes of an .npy file whose header text is exactly `text` (nothing added).
std::string npy_raw(int major, int minor, const std::string& text, const std::string& payload) {
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(static_cast<char>(minor));
  for (std::size_t b = 0; b < len_bytes; ++b) out.push_back(static_cast<char>((text.size() >> (8 * b)) & 0xff));
  return out + text + payload;
}

// numpy's padding of `text` (spaces to a multiple of 64 bytes, then '\n'), as npy_bytes above.
std::string with_padding(int major, const std::string& text, const std::string& payload) {
  return npy_bytes(major, text, payload);
}

std::vector<HeaderCase> header_cases() {
  const std::string pl(16, '\0');  // the data of shape (1, 2), '<f8'
  const std::string numpy_dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
  auto d12 = [](const std::string& shape) { return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + "}"; };
  std::vector<HeaderCase> c;
  // What numpy writes (and variants other writers produce), read by both.
  c.push_back({"numpy_default", with_padding(1, numpy_dict, pl), true, Ours::reads, "1,2"});
  c.push_back({"no_trailing_comma", with_padding(1, d12("(1, 2)"), pl), true, Ours::reads, "1,2"});
  c.push_back({"double_quotes",
               with_padding(1, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1, 2)}", pl), true,
               Ours::reads, "1,2"});
  c.push_back({"keys_in_any_order", with_padding(1, "{'shape': (1, 2), 'fortran_order': False, 'descr': '<f8'}", pl),
               true, Ours::reads, "1,2"});
  c.push_back({"spaces_around_tokens",
               with_padding(1, "{'descr' : '<f8' , 'fortran_order' : False , 'shape' : ( 1 , 2 , ) , }", pl), true,
               Ours::reads, "1,2"});
  c.push_back({"unaligned_header", npy_raw(1, 0, numpy_dict + "\n", pl), true, Ours::reads, "1,2"});
  c.push_back({"python2_longs_v1", with_padding(1, d12("(1L, 2L)"), pl), true, Ours::reads, "1,2"});
  c.push_back({"python2_longs_v2", with_padding(2, d12("(1L, 2L)"), pl), true, Ours::reads, "1,2"});
  c.push_back({"version_2", with_padding(2, numpy_dict, pl), true, Ours::reads, "1,2"});
  c.push_back({"version_3", with_padding(3, numpy_dict, pl), true, Ours::reads, "1,2"});
  c.push_back({"descr_pipe", with_padding(1, "{'descr': '|f8', 'fortran_order': False, 'shape': (1, 2)}", pl), true,
               Ours::reads, "1,2"});
  c.push_back({"descr_f4", with_padding(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}",
                                        std::string(8, '\0')),
               true, Ours::reads, "1,2"});
  c.push_back({"zero_rows", with_padding(1, d12("(0, 3)"), ""), true, Ours::reads, "0,3"});
  c.push_back({"trailing_bytes", with_padding(1, numpy_dict, pl + "more"), true, Ours::reads, "1,2"});
  // Refused by both.
  c.push_back({"junk_in_padding", with_padding(1, numpy_dict + "  junk", pl), false, Ours::io_error,
               "unexpected bytes after the dict"});
  c.push_back({"nul_in_padding", with_padding(1, numpy_dict + std::string(2, '\0'), pl), false, Ours::io_error,
               "unexpected bytes after the dict"});
  c.push_back({"unclosed_dict", with_padding(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), ", pl),
               false, Ours::io_error, "expected a quoted key"});
  c.push_back({"double_comma", with_padding(1, "{'descr': '<f8', 'fortran_order': False,, 'shape': (1, 2)}", pl),
               false, Ours::io_error, "expected a quoted key"});
  c.push_back({"missing_colon", with_padding(1, "{'descr' '<f8', 'fortran_order': False, 'shape': (1, 2)}", pl),
               false, Ours::io_error, "expected ':'"});
  c.push_back({"shape_int_not_tuple", with_padding(1, d12("(2)"), pl), false, Ours::io_error, "not a tuple"});
  c.push_back({"shape_list", with_padding(1, d12("[1, 2]"), pl), false, Ours::io_error, "expected '('"});
  c.push_back({"shape_leading_zero", with_padding(1, d12("(01, 2)"), pl), false, Ours::io_error, "leading zero"});
  c.push_back({"shape_float", with_padding(1, d12("(1.0, 2)"), pl), false, Ours::io_error, "malformed shape"});
  c.push_back({"shape_double_comma", with_padding(1, d12("(1,, 2)"), pl), false, Ours::io_error, "decimal integer"});
  c.push_back({"fortran_order_int", with_padding(1, "{'descr': '<f8', 'fortran_order': 0, 'shape': (1, 2)}", pl),
               false, Ours::io_error, "neither True nor False"});
  c.push_back({"fortran_order_lowercase",
               with_padding(1, "{'descr': '<f8', 'fortran_order': false, 'shape': (1, 2)}", pl), false,
               Ours::io_error, "neither True nor False"});
  c.push_back({"fortran_order_falsey",
               with_padding(1, "{'descr': '<f8', 'fortran_order': Falsey, 'shape': (1, 2)}", pl), false,
               Ours::io_error, "expected ',' or '}'"});
  c.push_back({"mixed_quotes", with_padding(1, "{'descr\": '<f8', 'fortran_order': False, 'shape': (1, 2)}", pl),
               false, Ours::io_error, "unexpected key"});
  c.push_back({"extra_key", with_padding(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'x': 1}", pl),
               false, Ours::io_error, "unexpected key 'x'"});
  c.push_back({"missing_key", with_padding(1, "{'descr': '<f8', 'shape': (1, 2)}", pl), false, Ours::io_error,
               "lacks one of the keys"});
  c.push_back({"empty_dict", with_padding(1, "{}", pl), false, Ours::io_error, "lacks one of the keys"});
  c.push_back({"not_a_dict", with_padding(1, "{'descr', '<f8'}", pl), false, Ours::io_error, "expected ':'"});
  c.push_back({"bytes_key", with_padding(1, "{b'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}", pl), false,
               Ours::io_error, "expected a quoted key"});
  c.push_back({"python2_longs_v3", with_padding(3, d12("(1L, 2L)"), pl), false, Ours::io_error, "malformed shape"});
  c.push_back({"minor_version_1", npy_raw(1, 1, numpy_dict + "\n", pl), false, Ours::input_error, "version 1.1"});
  c.push_back({"version_4", with_padding(4, numpy_dict, pl), false, Ours::input_error, "version 4.0"});
  c.push_back({"header_over_10000_bytes", with_padding(2, numpy_dict + std::string(10100, ' '), pl), false,
               Ours::input_error, "at most 10000"});
  c.push_back({"data_one_byte_short", with_padding(1, numpy_dict, std::string(15, '\0')), false, Ours::io_error,
               "needs 16 bytes of data, the file holds 15"});
  c.push_back({"header_length_past_the_end", std::string("\x93NUMPY\x01\x00\xff\x7f", 10) + "{}", false, Ours::io_error, "truncated"});
  c.push_back({"size_wraps_past_2^64_f8", with_padding(1, d12("(4611686018427387904, 4)"), ""), false,
               Ours::input_error, "needs more than 2^63 - 1 bytes"});
  c.push_back({"size_wraps_past_2^64_f4",
               with_padding(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", ""),
               false, Ours::input_error, "needs more than 2^63 - 1 bytes"});
  c.push_back({"shape_entry_past_int64", with_padding(1, d12("(9223372036854775808, 0)"), ""), false,
               Ours::input_error, "larger than 2^63 - 1"});
  c.push_back({"shape_product_past_int64_with_a_zero", with_padding(1, d12("(9223372036854775807, 0)"), ""), false,
               Ours::input_error, "needs more than 2^63 - 1 bytes"});
  // Read by numpy (its literal_eval is lax), never written by numpy, refused by idealgas.
  c.push_back({"duplicate_key", with_padding(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
                                                "'shape': (1, 2)}",
                                             pl),
               true, Ours::io_error, "key 'descr' appears twice"});
  c.push_back({"duplicate_key_two_values",
               with_padding(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), 'descr': '<f8'}", pl), true,
               Ours::io_error, "key 'descr' appears twice"});
  c.push_back({"duplicate_shape", with_padding(1, d12("(4, 1), 'shape': (1, 2)"), pl), true, Ours::io_error,
               "key 'shape' appears twice"});
  c.push_back({"comment_in_padding", with_padding(1, numpy_dict + "  # junk", pl), true, Ours::io_error,
               "unexpected bytes after the dict"});
  c.push_back({"tabs_in_dict", with_padding(1, "{'descr':\t'<f8', 'fortran_order': False, 'shape': (1, 2)}", pl),
               true, Ours::io_error, "expected the dtype string"});
  c.push_back({"newline_in_dict",
               with_padding(1, "{'descr': '<f8',\n'fortran_order': False, 'shape': (1, 2)}", pl), true,
               Ours::io_error, "expected a quoted key"});
  c.push_back({"no_final_newline", npy_raw(1, 0, numpy_dict + "   ", pl), true, Ours::io_error,
               "does not end with"});
  c.push_back({"spaces_after_newline", npy_raw(1, 0, numpy_dict + "\n  ", pl), true, Ours::io_error,
               "does not end with"});
  c.push_back({"two_newlines", npy_raw(1, 0, numpy_dict + "\n\n", pl), true, Ours::io_error,
               "unexpected bytes after the dict"});
  c.push_back({"tab_in_padding", with_padding(1, numpy_dict + "\t", pl), true, Ours::io_error,
               "unexpected bytes after the dict"});
  c.push_back({"cr_in_padding", with_padding(1, numpy_dict + "\r", pl), true, Ours::io_error,
               "unexpected bytes after the dict"});
  c.push_back({"leading_space", with_padding(1, " " + numpy_dict, pl), true, Ours::io_error, "expected '{'"});
  // numpy.load of a file reads a negative dimension as "all the data" (numpy.fromfile with a negative count).
  c.push_back({"shape_negative", with_padding(1, d12("(-1, 2)"), pl), true, Ours::io_error, "decimal integer"});
  c.push_back({"shape_plus_sign", with_padding(1, d12("(+1, 2)"), pl), true, Ours::io_error, "decimal integer"});
  c.push_back({"shape_underscore", with_padding(1, d12("(1_0, 2)"), std::string(160, '\0')), true, Ours::io_error,
               "malformed shape"});
  c.push_back({"shape_hex", with_padding(1, d12("(0x1, 2)"), pl), true, Ours::io_error, "malformed shape"});
  c.push_back({"shape_double_zero", with_padding(1, d12("(00, 2)"), pl), true, Ours::io_error, "leading zero"});
  c.push_back({"shape_long_after_space", with_padding(1, d12("(1 L, 2)"), pl), true, Ours::io_error,
               "malformed shape"});
  c.push_back({"escape_in_descr",
               with_padding(1, "{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (1, 2)}", pl), true,
               Ours::io_error, "escape"});
  c.push_back({"concatenated_descr",
               with_padding(1, "{'descr': '<' 'f8', 'fortran_order': False, 'shape': (1, 2)}", pl), true,
               Ours::io_error, "expected ',' or '}'"});
  c.push_back({"parenthesised_descr",
               with_padding(1, "{'descr': ('<f8'), 'fortran_order': False, 'shape': (1, 2)}", pl), true,
               Ours::io_error, "expected the dtype string"});
  // Valid .npy content that idealgas does not read.
  c.push_back({"int32", with_padding(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2)}",
                                     std::string(8, '\0')),
               true, Ours::input_error, "dtype '<i4' is not supported"});
  c.push_back({"big_endian", with_padding(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2)}", pl), true,
               Ours::input_error, "big-endian"});
  c.push_back({"fortran_order_true", with_padding(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2)}", pl),
               true, Ours::input_error, "fortran_order is True"});
  c.push_back({"three_dimensions", with_padding(1, d12("(1, 2, 1)"), pl), true, Ours::input_error, "3 dimension"});
  return c;
}

// Runs `f`, which must not throw, or throw E; returns the message ("" when nothing was thrown).
template <class F>
std::string outcome(F&& f, Ours& got) {
  try {
    f();
    got = Ours::reads;
    return "";
  } catch (const InputError& e) {
    got = Ours::input_error;
    return e.what();
  } catch (const IoError& e) {
    got = Ours::io_error;
    return e.what();
  }
}

const char* name_of(Ours o) { return o == Ours::reads ? "reads" : o == Ours::io_error ? "IoError" : "InputError"; }

}  // namespace

TEST_F(NpyTest, HeaderGrammarCaseByCase) {
  for (const HeaderCase& c : header_cases()) {
    const std::string p = path(c.name + ".npy");
    write_bytes(p, c.file);
    // read_npy, the block reader and the header parser alone give the same verdict (one parser).
    Ours got_read, got_block, got_parse;
    const std::string msg = outcome([&] { idealgas::read_npy(p); }, got_read);
    const std::string msg_block = outcome([&] { idealgas::NpyBlockReader reader(p); }, got_block);
    const std::string msg_parse = outcome(
        [&] { idealgas::parse_npy_header(c.file, c.file.size(), p); }, got_parse);
    EXPECT_EQ(name_of(got_read), name_of(c.ours)) << c.name << ": " << msg;
    EXPECT_EQ(name_of(got_block), name_of(c.ours)) << c.name << ": " << msg_block;
    EXPECT_EQ(name_of(got_parse), name_of(c.ours)) << c.name << ": " << msg_parse;
    EXPECT_EQ(msg, msg_block) << c.name;
    if (c.ours == Ours::reads) {
      if (got_read != Ours::reads) continue;
      const auto m = idealgas::read_npy(p);
      EXPECT_EQ(std::to_string(m.rows) + "," + std::to_string(m.cols), c.needle) << c.name;
    } else {
      EXPECT_NE(msg.find(c.needle), std::string::npos) << c.name << ": '" << c.needle << "' not in: " << msg;
      EXPECT_NE(msg.find(p), std::string::npos) << c.name << ": the message names the file: " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << c.name << ": one line: " << msg;
    }
  }
}

// Every prefix of a valid file (a file cut short anywhere) is an IoError, never a crash or a read.
TEST_F(NpyTest, EveryTruncationIsAnIoError) {
  const std::string file = npy_bytes(1, dict("<f8", "False", "(2, 3)"), le_bytes(std::vector<double>(6, 1.5)));
  for (std::size_t len = 0; len < file.size(); ++len) {
    const std::string p = path("cut.npy");
    write_bytes(p, file.substr(0, len));
    expect_error<IoError>([&] { idealgas::read_npy(p); }, {p});
    expect_error<IoError>([&] { idealgas::parse_npy_header(std::string_view(file).substr(0, len), len, p); }, {p});
  }
}

// Where numpy is installed, numpy.load gives the verdict recorded in header_cases() (the test does not need python
// otherwise: the verdicts are in the table).
TEST_F(NpyTest, NumpyAgreesWithTheRecordedVerdicts) {
  std::string python;
  for (const char* candidate : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(candidate) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0) {
      python = candidate;
      break;
    }
  if (python.empty()) GTEST_SKIP() << "python3 with numpy is not installed";
  const auto cases = header_cases();
  std::string names;
  for (const HeaderCase& c : cases) {
    write_bytes(path(c.name + ".npy"), c.file);
    names += " '" + c.name + "'";
  }
  const std::string script = path("verdicts.py");
  {
    std::ofstream out(script);
    out << "import sys, numpy\n"
           "for name in sys.argv[2:]:\n"
           "    try:\n"
           "        numpy.load(sys.argv[1] + '/' + name + '.npy')\n"
           "        print(name, 1)\n"
           "    except Exception:\n"
           "        print(name, 0)\n";
  }
  const std::string command = python + " -W ignore '" + script + "' '" + dir_.string() + "'" + names + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  ASSERT_EQ(::pclose(pipe), 0) << output;
  for (const HeaderCase& c : cases) {
    const std::string expected = c.name + " " + (c.numpy_reads ? "1" : "0") + "\n";
    EXPECT_NE(output.find(expected), std::string::npos) << "numpy disagrees on " << c.name << ":\n" << output;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Paths that are not regular files are refused at once. A FIFO without a writer used to block open() forever:
// SIGALRM (installed without SA_RESTART) interrupts a blocked open after 10 s, so a regression fails instead of
// hanging the suite.
namespace {

void ignore_alarm(int) {}

class AlarmGuard {
 public:
  explicit AlarmGuard(unsigned seconds) {
    struct sigaction sa {};
    sa.sa_handler = ignore_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocked open() returns EINTR
    ::sigaction(SIGALRM, &sa, &saved_);
    ::alarm(seconds);
  }
  ~AlarmGuard() {
    ::alarm(0);
    ::sigaction(SIGALRM, &saved_, nullptr);
  }

 private:
  struct sigaction saved_ {};
};

}  // namespace

// The snapshot writer reads an existing file's header with the same parser and checked sizes: a header whose
// size wraps past 2^64 is refused before anything is written.
TEST_F(NpyTest, SnapshotWriterRefusesAWrappingHeader) {
  const std::string p = path("snap.npy");
  const std::string bytes = npy_bytes(1, dict("<f8", "False", "(4611686018427387904, 4)"), "");
  write_bytes(p, bytes);
  expect_error<InputError>([&] { idealgas::NpySnapshotWriter w(p, 4, NpyDtype::float64); }, {p, "2^63 - 1 bytes"});
  EXPECT_EQ(fs::file_size(p), bytes.size()) << "the file is left as it was";
}

TEST_F(NpyTest, FifoDirectoryAndEmptyPathAreRefusedAtOnce) {
  const std::string fifo = path("queue.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  AlarmGuard guard(10);
  expect_error<InputError>([&] { idealgas::read_npy(fifo); }, {fifo, "FIFO", "not a regular file"});
  expect_error<InputError>([&] { idealgas::read_npy_layout(fifo); }, {fifo, "FIFO"});
  expect_error<InputError>([&] { idealgas::NpyBlockReader reader(fifo); }, {fifo, "FIFO"});
  expect_error<InputError>([&] { idealgas::NpySnapshotWriter writer(fifo, 3, NpyDtype::float64); }, {fifo, "FIFO"});
  expect_error<InputError>([&] { idealgas::read_npy(dir_.string()); }, {dir_.string(), "a directory"});
  expect_error<InputError>([&] { idealgas::read_npy(""); }, {"empty"});
  EXPECT_TRUE(fs::is_fifo(fifo)) << "the FIFO is left as it was";
}

namespace {

// run_cli under coreutils' `timeout`: a hang becomes exit 124 (a failure) instead of a stuck suite.
idealgas::testing::CliResult run_cli_within(int seconds, const std::string& args) {
  idealgas::testing::CliResult r;
  const std::string command =
      "timeout " + std::to_string(seconds) + " '" + std::string(IDEALGAS_CLI_PATH) + "' " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) r.output += buf;
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_F(NpyTest, CliRefusesAFifoAndAWrappingShapeOnOneLine) {
  if (!idealgas::testing::cli_built()) GTEST_SKIP() << "the idealgas CLI is not built";
  const std::string fifo = path("q.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string huge = path("huge.npy");
  write_bytes(huge, npy_bytes(1, dict("<f8", "False", "(4611686018427387904, 4)"), ""));
  struct Case {
    std::string args, needle;
  };
  for (const Case& c : {Case{"'" + fifo + "'", "FIFO"}, Case{"'" + huge + "'", "2^63 - 1 bytes"},
                        Case{"'" + huge + "' --rows 0:10", "2^63 - 1 bytes"},
                        Case{"'" + huge + "' --rows 4611686018427387903:", "2^63 - 1 bytes"}}) {
    const auto [exit_code, output] = run_cli_within(20, "entropy " + c.args);
    EXPECT_EQ(exit_code, 2) << c.args << ": " << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << c.args << ": " << output;
    EXPECT_NE(output.find(c.needle), std::string::npos) << c.args << ": " << output;
  }
}
