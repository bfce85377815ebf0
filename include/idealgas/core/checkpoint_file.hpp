// The binary checkpoint format every resumable job uses: an 8-byte magic naming the kind of checkpoint, the CRC-32
// of the body, then the body: plain values in native byte order, vectors and strings behind a u64 length. The
// reader checks magic, CRC and every length against the bytes left (a crafted length must not wrap or allocate);
// what the values must satisfy is the caller's to check, with corrupt().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace idealgas {

using CheckpointMagic = char[8];

class CheckpointWriter {
 public:
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    body_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<std::uint64_t>(v.size());
    body_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void str(const std::string& s) {
    pod<std::uint64_t>(s.size());
    body_.append(s);
  }
  /// Magic, CRC and body, written atomically (a killed write leaves the previous checkpoint).
  void write(const std::string& path, const CheckpointMagic& magic) const;

 private:
  std::string body_;
};

class CheckpointReader {
 public:
  /// Reads `path`; IoError unless it starts with `magic` and its CRC matches. `kind` names the checkpoint in that
  /// error ("train", "iso"); `remedy` ends every error about a damaged checkpoint ("delete it, or pass --restart to
  /// start over"); a file without the magic is not idealgas's, and its error says to move it away instead.
  CheckpointReader(const std::string& path, const CheckpointMagic& magic, const std::string& kind, std::string remedy);

  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T), 1);
    T v;
    std::memcpy(&v, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> vec() {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto n = pod<std::uint64_t>();
    need(sizeof(T), n);
    std::vector<T> v(static_cast<std::size_t>(n));
    if (n > 0) std::memcpy(v.data(), file_.data() + pos_, v.size() * sizeof(T));  // an empty vector's data() may be null
    pos_ += v.size() * sizeof(T);
    return v;
  }
  std::string str();
  bool at_end() const { return pos_ == file_.size(); }
  /// IoError "checkpoint PATH is corrupt (WHAT); REMEDY".
  [[noreturn]] void corrupt(const std::string& what = "") const;

 private:
  // Room for n items of `size` bytes, the product checked.
  void need(std::size_t size, std::uint64_t n) const;
  std::string file_, path_, remedy_;
  std::size_t pos_ = 0;
};

}  // namespace idealgas
