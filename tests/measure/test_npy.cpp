// .npy reader and writer: a float64 round trip, float32 bytes written by hand, format versions 2 and 3, and
// one test per way a file can be wrong, each checking the error type and that the message names the problem.
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

#include <sys/wait.h>
#include <unistd.h>

#include "support/run_cli.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/npy.hpp"

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
