// SampleRowOnHost with a token mask (row_sampling.h): masked columns and those past the
// mask's words are never drawn, greedy or at a temperature, with top-k/top-p cuts taken
// over what the mask leaves; edits apply before the mask; a row without a mask is
// unchanged by the batch's masks.
#include "backend/row_sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace sgl {
namespace {

std::vector<uint32_t> MaskOf(const std::vector<int>& allowed, int words) {
  std::vector<uint32_t> mask(words, 0);
  for (int c : allowed) mask[c / 32] |= 1u << (c % 32);
  return mask;
}

TEST(RowSamplingTest, MaskedColumnsAreNeverDrawn) {
  const int n = 80;
  std::vector<float> logits(n);
  for (int c = 0; c < n; ++c) logits[c] = static_cast<float>(c % 13);  // 12 is the best, many ties
  const std::vector<int> allowed = {5, 17, 40, 63};
  std::vector<uint32_t> masks = {0xdeadbeef};  // another row's mask first
  const std::vector<uint32_t> mine = MaskOf(allowed, 2);  // 64 columns: 64..79 are past it
  masks.insert(masks.end(), mine.begin(), mine.end());
  RowSampling s{.mask_begin = 1, .mask_words = 2};
  std::vector<float> row = logits;
  EXPECT_EQ(SampleRowOnHost(row.data(), n, s, nullptr, masks.data()), 63);  // 63 % 13 = 11: the best allowed
  for (int c = 0; c < n; ++c)
    EXPECT_EQ(std::isinf(row[c]), std::find(allowed.begin(), allowed.end(), c) == allowed.end()) << c;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    for (RowSampling t : {RowSampling{.temperature = 2.0f}, RowSampling{.temperature = 1.0f, .top_k = 3},
                          RowSampling{.temperature = 1.0f, .top_p = 0.9f, .min_p = 0.01f}}) {
      t.seed = seed;
      t.mask_begin = 1;
      t.mask_words = 2;
      row = logits;
      const int32_t token = SampleRowOnHost(row.data(), n, t, nullptr, masks.data());
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), token), allowed.end()) << token;
    }
  }
}

TEST(RowSamplingTest, EditsApplyBeforeTheMaskAndUnmaskedRowsIgnoreIt) {
  std::vector<float> logits = {1, 9, 3, 8, 2};
  const std::vector<uint32_t> masks = MaskOf({1, 2, 3}, 1);
  const std::vector<LogitEdit> edits = {{.column = 1, .forbid = 1}, {.column = 4, .bias = 100.0f}};
  RowSampling s{.edit_begin = 0, .edit_end = 2, .mask_begin = 0, .mask_words = 1};
  std::vector<float> row = logits;
  EXPECT_EQ(SampleRowOnHost(row.data(), 5, s, edits.data(), masks.data()), 3);  // 1 forbidden, 4 masked
  row = logits;
  s.mask_begin = -1;
  EXPECT_EQ(SampleRowOnHost(row.data(), 5, s, edits.data(), masks.data()), 4);
}

}  // namespace
}  // namespace sgl
