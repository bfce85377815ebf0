#include "idealgas/core/checkpoint_file.hpp"

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/crc32.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {
constexpr std::size_t kHeaderBytes = sizeof(CheckpointMagic) + sizeof(std::uint32_t);
}

void CheckpointWriter::write(const std::string& path, const CheckpointMagic& magic) const {
  std::string file(magic, sizeof(CheckpointMagic));
  const std::uint32_t crc = crc32_of(body_);
  file.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  file.append(body_);
  write_file_atomically(path, file);
}

CheckpointReader::CheckpointReader(const std::string& path, const CheckpointMagic& magic, const std::string& kind,
                                   std::string remedy)
    : file_(read_file(path, max_binary_file_bytes())), path_(path), remedy_(std::move(remedy)) {
  if (file_.size() < kHeaderBytes || std::memcmp(file_.data(), magic, sizeof(CheckpointMagic)) != 0)
    // Not ours at all (the remedy, which may say "delete it", is for checkpoints idealgas wrote and a kill damaged).
    throw IoError(fmt::format("{} is not an idealgas {} checkpoint (bad magic): it is not a file idealgas wrote; move "
                              "it out of the folder, or choose another output folder",
                              path_, kind));
  std::uint32_t stored;
  std::memcpy(&stored, file_.data() + sizeof(CheckpointMagic), sizeof stored);
  if (crc32_of(std::string_view(file_).substr(kHeaderBytes)) != stored) corrupt("CRC mismatch");
  pos_ = kHeaderBytes;
}

std::string CheckpointReader::str() {
  const auto n = pod<std::uint64_t>();
  need(1, n);
  std::string s = file_.substr(pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return s;
}

void CheckpointReader::corrupt(const std::string& what) const {
  throw IoError(fmt::format("checkpoint {} is corrupt{}; {}", path_, what.empty() ? "" : " (" + what + ")", remedy_));
}

void CheckpointReader::need(std::size_t size, std::uint64_t n) const {
  std::uint64_t bytes;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(size), n, &bytes) || bytes > file_.size() - pos_)
    corrupt("truncated");
}

}  // namespace idealgas
