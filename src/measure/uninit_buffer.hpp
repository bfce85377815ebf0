// Private to the measure/ sources: a large array that is not value-initialised, in transparent huge pages.
// std::vector<double>(n) zero-fills on one thread, and on the virtual machines this runs on a 4 KiB page fault
// costs microseconds (measured: 0.9 s to zero-fill the 780 MB of angles of 4000 x 24,408 samples, 0.3 s to touch
// them from two threads, 0.08 s in 2 MiB pages once the host backs them). Every element is written by the code
// that fills the array; prefault() touches the pages from all threads first.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace idealgas {

template <class T>
class UninitBuffer {
 public:
  UninitBuffer() = default;
  explicit UninitBuffer(std::size_t n) { reset(n); }
  ~UninitBuffer() { std::free(p_); }
  UninitBuffer(UninitBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  UninitBuffer& operator=(UninitBuffer&& o) noexcept {
    if (this != &o) {
      std::free(p_);
      p_ = o.p_, n_ = o.n_;
      o.p_ = nullptr, o.n_ = 0;
    }
    return *this;
  }
  UninitBuffer(const UninitBuffer&) = delete;
  UninitBuffer& operator=(const UninitBuffer&) = delete;

  void reset(std::size_t n) {
    std::free(p_);
    p_ = nullptr;
    n_ = 0;
    if (n == 0) return;
    if (n > (SIZE_MAX - kHugePage) / sizeof(T)) throw std::bad_alloc();  // n * sizeof(T), rounded up, must not wrap
    const std::size_t bytes = n * sizeof(T);
    void* p = nullptr;
    if (bytes >= kHugeFrom) {
      const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      if (::posix_memalign(&p, kHugePage, rounded) != 0) throw std::bad_alloc();
      ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without THP the buffer works the same
    } else {
      p = std::malloc(bytes);
      if (p == nullptr) throw std::bad_alloc();
    }
    p_ = static_cast<T*>(p);
    n_ = n;
  }
  void release() { reset(0); }
  /// Touches one element per 4 KiB page, in parallel, so that later writes do not fault one page at a time.
  void prefault() {
    constexpr std::size_t kPage = 4096 / sizeof(T) > 0 ? 4096 / sizeof(T) : 1;
    const long long pages = static_cast<long long>((n_ + kPage - 1) / kPage);
    T* p = p_;
#pragma omp parallel for schedule(static) if (pages > 64)
    for (long long q = 0; q < pages; ++q) p[static_cast<std::size_t>(q) * kPage] = T{};
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }

 private:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr std::size_t kHugeFrom = std::size_t{4} << 20;  // smaller buffers: plain malloc
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace idealgas
