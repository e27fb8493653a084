// The paged attention kernels against the CPU backend: ragged batches mixing decodes,
// prefill chunks over cached prefixes and fresh prompts, with KV slots scattered over the
// cache, GQA, sliding windows, softcaps and head sizes from 12 to 256. Long decodes run
// through the split-K path and its merge (in thread block clusters, or through memory).
#include <algorithm>
#include <numeric>

#include "cuda_test_util.h"

namespace sgl {
namespace {

struct Case {
  int q_heads, kv_heads, head_dim;
  int32_t window;
  float softcap;
  std::vector<std::pair<int, int>> seqs;  // (cached prefix, new tokens)
};

class CudaAttentionTest : public testing::CudaTest {
 protected:
  void Check(const Case& c) {
    SCOPED_TRACE(::testing::Message() << c.q_heads << "q/" << c.kv_heads << "kv x" << c.head_dim << " window "
                                      << c.window << " softcap " << c.softcap << " seed " << seed_);
    const int64_t slots_total = 4096;
    const KvCacheShape shape{2, slots_total, c.kv_heads, c.head_dim};
    CpuBackend cpu(2);
    ASSERT_TRUE(cpu.CreateKvCache(shape).ok());
    ASSERT_TRUE(gpu_->CreateKvCache(shape).ok());
    std::vector<int32_t> perm(slots_total);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng_);  // pages scattered over the cache
    const int kv_width = c.kv_heads * c.head_dim, q_width = c.q_heads * c.head_dim;

    // Step 1 writes the cached prefixes; step 2 appends the new tokens and attends.
    ForwardBatch history, step;
    size_t next_slot = 0;
    for (auto [prefix, fresh] : c.seqs) {
      std::vector<int32_t> table(perm.begin() + next_slot, perm.begin() + next_slot + prefix + fresh);
      next_slot += table.size();
      if (prefix > 0)
        history.AddSequence(std::vector<int32_t>(prefix, 1), {table.begin(), table.begin() + prefix}, false);
      step.AddSequence(std::vector<int32_t>(fresh, 1), table, false);
    }
    for (const ForwardBatch* b : {&history, &step}) {
      const int64_t n = b->num_tokens();
      if (n == 0) continue;
      auto k = Random(n * kv_width), v = Random(n * kv_width);
      ASSERT_TRUE(cpu.BeginForward(*b).ok());
      ASSERT_TRUE(gpu_->BeginForward(*b).ok());
      cpu.StoreKv(1, HostTensor(k, n, kv_width), HostTensor(v, n, kv_width));
      gpu_->StoreKv(1, Device(k, n, kv_width), Device(v, n, kv_width));
    }
    const int64_t n = step.num_tokens();
    auto q = Random(n * q_width, 2.0f);
    AttentionSpec spec{c.q_heads, c.kv_heads, c.head_dim, 1.0f / std::sqrt(float(c.head_dim)), c.window, c.softcap};
    std::vector<float> want(n * q_width);
    cpu.Attention(1, HostTensor(q, n, q_width), spec, HostTensor(want, n, q_width));
    Tensor out = Poisoned(n, q_width);
    const int64_t clustered = gpu_->num_clustered_attention();
    gpu_->Attention(1, Device(q, n, q_width), spec, out);
    const std::vector<float> got = Host(out);
    EXPECT_LT(RelErr(got, want), 1e-2);
    // Every row is checked on its own too, so one wrong token cannot hide in the norm.
    for (int64_t t = 0; t < n; ++t) {
      std::vector<float> g(got.begin() + t * q_width, got.begin() + (t + 1) * q_width);
      std::vector<float> w(want.begin() + t * q_width, want.begin() + (t + 1) * q_width);
      ASSERT_LT(RelErr(g, w), 3e-2) << "token " << t;
    }
    if (gpu_->num_clustered_attention() > clustered) {  // merged in clusters: through memory, the same bits
      const bool tensor_cores = gpu_->tensor_core_decode();
      gpu_->set_attention_clusters(false);
      gpu_->set_tensor_core_decode(false);  // the same kernel, its splits merged by the last one
      Tensor again = Poisoned(n, q_width);
      gpu_->Attention(1, Device(q, n, q_width), spec, again);
      gpu_->set_attention_clusters(true);
      gpu_->set_tensor_core_decode(tensor_cores);
      EXPECT_EQ(Host(again), got);
      EXPECT_EQ(gpu_->num_clustered_attention(), clustered + 1);
      ++clustered_cases_;
    }
  }

  int clustered_cases_ = 0;
};

TEST_F(CudaAttentionTest, DecodeBatchWithGqa) {
  Check({32, 8, 128, 0, 0, {{17, 1}, {200, 1}, {1, 1}, {63, 1}}});
}

// Decodes of one, two or four sequences split each item: on a Hopper GPU those splits run as
// thread block clusters (fewer of them where that lets all the clusters fit at once) and
// must match the merge through memory bit for bit. Sixteen sequences of 8 KV heads need
// more clusters than ever fit at once: their splits merge through memory.
TEST_F(CudaAttentionTest, LongDecodeTakesTheSplitPath) {
  Check({32, 8, 128, 0, 0, {{3000, 1}}});
  Check({8, 1, 64, 0, 0, {{1500, 1}, {900, 1}}});
  Check({32, 8, 128, 0, 0, {{700, 1}, {40, 1}, {5, 1}, {300, 1}}});
  EXPECT_EQ(clustered_cases_, 3);
  Check({32, 8, 128, 0, 0, std::vector<std::pair<int, int>>(16, {150, 1})});
  EXPECT_EQ(clustered_cases_, 3);
}

// Steps of decodes only run on a decode kernel (the tensor cores for head sizes 64/128 and
// groups of up to 16, the CUDA-core one for groups of 1, 2, 4 or 8 at head size 256), split
// or not; other shapes fall back to the general kernel.
TEST_F(CudaAttentionTest, DecodeKernelGroupsWindowsAndSoftcaps) {
  Check({8, 8, 128, 0, 0, {{50, 1}, {700, 1}, {0, 1}}});
  Check({16, 8, 64, 32, 0, {{300, 1}, {5, 1}}});
  Check({16, 4, 256, 0, 30.0f, {{1000, 1}, {64, 1}}});
  Check({64, 8, 128, 100, 0, {{2000, 1}, {3, 1}, {129, 1}}});
  Check({32, 8, 128, 0, 0, std::vector<std::pair<int, int>>(70, {50, 1})});  // no splits: more blocks than 2 per SM
  Check({12, 2, 128, 0, 0, {{40, 1}}});  // a group of 6: the tensor cores, not the CUDA-core decode kernel
  // Nothing split (one context past a 2,048-key chunk; windows and softcaps too): the tensor
  // cores, and with them off the CUDA-core kernel, pipelined up to 4 q heads a KV head (head
  // size 256 takes that form either way), loading keys into registers at 8.
  std::vector<std::pair<int, int>> many(68, {20, 1});  // 68 x 4 KV heads > 2 blocks per SM: no splits
  many[3] = {2500, 1};
  many[40] = {0, 1};
  for (bool tensor_cores : {true, false}) {
    SCOPED_TRACE(tensor_cores ? "tensor cores" : "CUDA cores");
    gpu_->set_tensor_core_decode(tensor_cores);
    Check({32, 8, 128, 0, 0, many});
    Check({16, 8, 64, 700, 20.0f, many});
    Check({16, 4, 256, 0, 0, many});
    Check({64, 8, 128, 0, 0, many});
  }
  gpu_->set_tensor_core_decode(true);
}

// Decode steps that do not merge in clusters run on the tensor cores: any group of up to 16
// q heads a KV head (3 and 16 here, which the CUDA-core decode kernel does not take), head
// sizes 64 and 128, split or not, with windows and softcaps.
TEST_F(CudaAttentionTest, TensorCoreDecodeTakesGroupsUpToSixteen) {
  const int64_t before = gpu_->num_tensor_core_decodes();
  Check({9, 3, 64, 0, 0, {{300, 1}, {40, 1}, {1000, 1}}});
  Check({32, 2, 128, 0, 0, {{500, 1}, {7, 1}}});
  std::vector<std::pair<int, int>> sixteen(16, {120, 1});  // too many clusters: split, merged through memory
  sixteen[0] = {900, 1};
  sixteen[1] = {0, 1};
  Check({16, 8, 128, 64, 25.0f, sixteen});
  Check({32, 8, 128, 0, 0, std::vector<std::pair<int, int>>(40, {90, 1})});
  EXPECT_EQ(gpu_->num_tensor_core_decodes(), before + 4);
}

TEST_F(CudaAttentionTest, PrefillChunksOverCachedPrefixesMixedWithDecodes) {
  Check({8, 2, 64, 0, 0, {{37, 29}, {0, 70}, {300, 1}, {5, 3}}});
}

TEST_F(CudaAttentionTest, SlidingWindowAndSoftcap) {
  Check({4, 1, 256, 5, 0, {{20, 13}, {0, 9}, {40, 1}}});
  Check({4, 2, 32, 0, 50.0f, {{10, 40}, {100, 1}}});
  Check({4, 2, 32, 64, 30.0f, {{700, 1}, {90, 70}}});
}

TEST_F(CudaAttentionTest, OddHeadSizesAndGroupsOfTheFixtures) {
  Check({6, 2, 12, 0, 0, {{0, 11}, {4, 1}, {9, 6}}});  // smollm2 fixture shape
  Check({3, 1, 16, 4, 0, {{0, 23}, {30, 1}}});          // gemma3 fixture shape
  Check({40, 8, 80, 0, 0, {{100, 17}, {500, 1}}});      // a group of 5, head_dim 80
}

// Prefill chunks of 16+ tokens run on the tensor-core kernel: many 64-row tiles, long
// cached prefixes, windows and softcaps, every head size it takes.
TEST_F(CudaAttentionTest, TensorCorePrefillOverLongPrefixes) {
  Check({32, 8, 128, 0, 0, {{0, 300}, {1000, 130}, {77, 1}}});
  Check({8, 2, 256, 100, 0, {{50, 150}, {0, 64}}});
  Check({6, 3, 96, 0, 20.0f, {{500, 65}, {3, 16}}});
  Check({16, 16, 64, 33, 0, {{0, 200}}});
  // The mma.sync kernel's head sizes with softcaps and windows (the WMMA kernel has the rest).
  Check({8, 2, 128, 70, 30.0f, {{200, 100}, {0, 40}}});
  Check({8, 4, 64, 0, 25.0f, {{0, 90}, {64, 64}}});
}

TEST_F(CudaAttentionTest, GroupsLargerThanABlockSplitTheirHeads) {
  Check({64, 1, 64, 0, 0, {{30, 5}, {200, 1}}});
}

}  // namespace
}  // namespace sgl
