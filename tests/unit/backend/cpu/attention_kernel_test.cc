#include "backend/cpu/attention_kernel.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace sgl::cpu {
namespace {

// Random keys, values and query rows over `num_keys` keys; row r sees keys
// [0, visible[r]] (causal-like, each row its own end).
struct Problem {
  int head_dim = 0;
  int32_t num_keys = 0;
  std::vector<std::vector<float>> keys, values, queries;
  std::vector<const float*> key_ptrs, value_ptrs;

  Problem(int dim, int32_t n, int rows, uint32_t seed) : head_dim(dim), num_keys(n) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto random_vector = [&] {
      std::vector<float> v(dim);
      for (float& x : v) x = normal(rng);
      return v;
    };
    for (int32_t j = 0; j < n; ++j) {
      keys.push_back(random_vector());
      values.push_back(random_vector());
      key_ptrs.push_back(keys.back().data());
      value_ptrs.push_back(values.back().data());
    }
    for (int r = 0; r < rows; ++r) queries.push_back(random_vector());
  }

  int32_t LastVisible(int r) const { return num_keys - 1 - 3 * r; }

  // Attends rows [begin, begin + count) in one call; outputs are row-major.
  std::vector<float> Attend(int begin, int count, std::vector<float>& scratch) const {
    std::vector<float> out(static_cast<size_t>(count) * head_dim);
    AttendArgs a;
    a.num_rows = count;
    for (int i = 0; i < count; ++i) {
      a.queries[i] = queries[begin + i].data();
      a.outputs[i] = out.data() + static_cast<size_t>(i) * head_dim;
      a.first[i] = 0;
      a.last[i] = LastVisible(begin + i);
    }
    a.keys = key_ptrs.data();
    a.values = value_ptrs.data();
    a.num_keys = num_keys;
    a.head_dim = head_dim;
    a.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    scratch.assign(static_cast<size_t>(kMaxAttendRows) * num_keys, 0.0f);
    a.scores = scratch.data();
    AttendRows(a);
    return out;
  }

  // Softmax attention of row r in double precision.
  std::vector<double> Reference(int r) const {
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    std::vector<double> p(LastVisible(r) + 1);
    double max_score = -INFINITY, denom = 0;
    for (size_t j = 0; j < p.size(); ++j) {
      double s = 0;
      for (int d = 0; d < head_dim; ++d) s += double{queries[r][d]} * keys[j][d];
      p[j] = s * scale;
      max_score = std::max(max_score, p[j]);
    }
    for (double& x : p) denom += x = std::exp(x - max_score);
    std::vector<double> out(head_dim, 0.0);
    for (size_t j = 0; j < p.size(); ++j)
      for (int d = 0; d < head_dim; ++d) out[d] += p[j] / denom * values[j][d];
    return out;
  }
};

// A decode step attends a few rows (dot products), a prefill many (outer products): a
// row's output must be bit-identical either way, or a radix-cache hit could flip a
// greedy near-tie.
TEST(AttendRowsTest, RowOutputDoesNotDependOnHowManyRowsShareTheCall) {
  for (int head_dim : {64, 72, 8}) {  // a multiple of 16, a tail after one, a tail alone
    const Problem p(head_dim, 67, kMaxAttendRows, 1234 + head_dim);
    std::vector<float> scratch;
    const std::vector<float> all = p.Attend(0, kMaxAttendRows, scratch);
    for (int count : {1, 3, 4, 5, 7}) {
      for (int begin = 0; begin + count <= kMaxAttendRows; begin += count) {
        const std::vector<float> some = p.Attend(begin, count, scratch);
        EXPECT_EQ(0, std::memcmp(some.data(), all.data() + static_cast<size_t>(begin) * head_dim,
                                 some.size() * sizeof(float)))
            << "head_dim " << head_dim << ", rows [" << begin << ", " << begin + count << ")";
      }
    }
    for (int r = 0; r < kMaxAttendRows; ++r) {
      const std::vector<double> want = p.Reference(r);
      for (int d = 0; d < head_dim; ++d) EXPECT_NEAR(all[r * head_dim + d], want[d], 1e-5) << r << " " << d;
    }
  }
}

}  // namespace
}  // namespace sgl::cpu
