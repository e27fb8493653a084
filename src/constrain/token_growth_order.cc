#include "constrain/token_growth_order.h"

#include <algorithm>

namespace sgl::constrain {

int32_t TokenGrowthOrder::Bucket(int64_t growth) {
  if (growth > kSpan) return 0;
  return static_cast<int32_t>(1 + kSpan - std::max(growth, -kSpan));
}

// One pass to sum each token's growth, then a counting sort by bucket.
TokenGrowthOrder::TokenGrowthOrder(const TokenVocabulary& vocab, const EndDistances& distances) {
  const std::span<const int32_t> by_length = vocab.ordinary_ids_longest_first();
  std::vector<int32_t> bucket(by_length.size());
  bucket_begin_.assign(2 * kSpan + 3, 0);
  for (size_t i = 0; i < by_length.size(); ++i) {
    int64_t sum = 0;
    for (char c : vocab.longest_first_bytes(i)) {
      const int64_t g = distances.growth_of_byte(static_cast<uint8_t>(c));
      if (g >= EndDistances::kUnreachable) {
        sum = EndDistances::kUnreachable;
        break;
      }
      sum += g;
    }
    bucket[i] = Bucket(sum);
    ++bucket_begin_[bucket[i] + 1];
  }
  for (size_t b = 1; b < bucket_begin_.size(); ++b) bucket_begin_[b] += bucket_begin_[b - 1];
  ids_.resize(by_length.size());
  std::vector<int32_t> next(bucket_begin_.begin(), bucket_begin_.end() - 1);
  for (size_t i = 0; i < by_length.size(); ++i) ids_[next[bucket[i]]++] = by_length[i];
}

int32_t TokenGrowthOrder::num_growing_more_than(int64_t x) const {
  if (ids_.empty()) return 0;
  if (x < -kSpan) return static_cast<int32_t>(ids_.size());
  // Buckets 0 .. Bucket(x) - 1 hold the growths above x; the unbounded one always counts.
  return bucket_begin_[std::max(Bucket(x), 1)];
}

}  // namespace sgl::constrain
