// ByteSet: a set of byte values [0, 256) as four 64-bit words. A value type; cheap to copy.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace sgl::constrain {

class ByteSet {
 public:
  static ByteSet Single(uint8_t b) { ByteSet s; s.Add(b); return s; }
  static ByteSet Range(uint8_t lo, uint8_t hi) { ByteSet s; s.AddRange(lo, hi); return s; }

  void Add(uint8_t b) { words_[b >> 6] |= uint64_t{1} << (b & 63); }
  void Remove(uint8_t b) { words_[b >> 6] &= ~(uint64_t{1} << (b & 63)); }
  void AddRange(uint8_t lo, uint8_t hi) {  // inclusive
    for (int b = lo; b <= hi; ++b) Add(static_cast<uint8_t>(b));
  }
  bool Contains(uint8_t b) const { return (words_[b >> 6] >> (b & 63)) & 1; }
  bool Empty() const { return (words_[0] | words_[1] | words_[2] | words_[3]) == 0; }
  int Count() const {
    int n = 0;
    for (uint64_t w : words_) n += std::popcount(w);
    return n;
  }
  void Union(const ByteSet& o) { for (int i = 0; i < 4; ++i) words_[i] |= o.words_[i]; }
  bool Intersects(const ByteSet& o) const {
    return ((words_[0] & o.words_[0]) | (words_[1] & o.words_[1]) | (words_[2] & o.words_[2]) | (words_[3] & o.words_[3])) != 0;
  }
  bool IsSubsetOf(const ByteSet& o) const {
    return ((words_[0] & ~o.words_[0]) | (words_[1] & ~o.words_[1]) | (words_[2] & ~o.words_[2]) | (words_[3] & ~o.words_[3])) == 0;
  }
  void Subtract(const ByteSet& o) { for (int i = 0; i < 4; ++i) words_[i] &= ~o.words_[i]; }
  bool operator==(const ByteSet&) const = default;

 private:
  std::array<uint64_t, 4> words_{};
};

}  // namespace sgl::constrain
