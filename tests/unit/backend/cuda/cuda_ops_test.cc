// Each CUDA op against the CPU backend (the reference implementation) on fresh random
// inputs: the CPU runs in float32 on the same bf16-rounded values, so differences are
// the GPU's bf16 rounding of its outputs (relative error well under 1e-2).
#include <algorithm>
#include <numeric>
#include <set>
#include <tuple>
#include <utility>

#include "backend/cpu/quant/quant_kernels.h"
#include "cuda_test_util.h"

namespace sgl {
namespace {

constexpr double kTol = 1e-2;

class CudaOpsTest : public testing::CudaTest {
 protected:
  // The skinny-matmul kernels take every batch they support (the backend's default sends
  // only single rows to them), so these tests cover them up to kMaxGemvRows rows.
  void SetUp() override {
    testing::CudaTest::SetUp();
    if (gpu_) gpu_->set_gemv_max_rows(cuda::kMaxGemvRows);
  }
  // A step of `n` tokens of one sequence at positions [start, start + n), slots start..
  ForwardBatch Batch(int n, int start, int vocab) {
    ForwardBatch b;
    std::vector<int32_t> ids(n), slots(start + n);
    std::uniform_int_distribution<int32_t> tok(0, vocab - 1);
    for (int32_t& id : ids) id = tok(rng_);
    std::iota(slots.begin(), slots.end(), 0);
    b.AddSequence(ids, slots, true);
    b.logit_rows.clear();
    for (int i = n - 1; i >= 0; i -= 3) b.logit_rows.push_back(i);
    return b;
  }
  void BeginBoth(const ForwardBatch& b) {
    ASSERT_TRUE(cpu_.CreateKvCache({1, 4096, 1, 16}).ok());
    ASSERT_TRUE(gpu_->CreateKvCache({1, 4096, 1, 16}).ok());
    ASSERT_TRUE(cpu_.BeginForward(b).ok());
    ASSERT_TRUE(gpu_->BeginForward(b).ok());
  }
  CpuBackend cpu_{2};
};

TEST_F(CudaOpsTest, EmbedScalesRowsOfTheTable) {
  const int vocab = 300, cols = 72;
  auto table = Random(vocab * cols);
  const ForwardBatch b = Batch(37, 0, vocab);
  BeginBoth(b);
  auto prepared = gpu_->PrepareWeight(HostTensor(table, vocab, cols));
  ASSERT_TRUE(prepared.ok());
  ASSERT_EQ(prepared->dtype, DType::kBF16);
  Tensor out = Poisoned(37, cols);
  std::vector<float> want(37 * cols);
  gpu_->Embed(*prepared, 0, 1.5f, out);
  cpu_.Embed(HostTensor(table, vocab, cols), 0, 1.5f, HostTensor(want, 37, cols));
  EXPECT_LT(RelErr(Host(out), want), kTol);
}

TEST_F(CudaOpsTest, PrepareWeightDequantizesGgufBlocksToBf16) {
  const int rows = 5, cols = 256;
  auto values = Random(rows * cols, 3.0f);
  std::vector<uint8_t> q8(RowBytes(DType::kQ8_0, cols) * rows);
  for (int r = 0; r < rows; ++r)
    cpu::QuantizeActivationRow(DType::kQ8_0, &values[r * cols], q8.data() + r * RowBytes(DType::kQ8_0, cols), cols);
  std::vector<float> want(rows * cols);
  for (int r = 0; r < rows; ++r)
    cpu::DequantizeRow(DType::kQ8_0, q8.data() + r * RowBytes(DType::kQ8_0, cols), &want[r * cols], cols);
  auto prepared = gpu_->PrepareWeight({q8.data(), DType::kQ8_0, rows, cols});
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  EXPECT_EQ(prepared->dtype, DType::kBF16);
  EXPECT_LT(RelErr(Host(*prepared), want), 5e-3);
  // Vectors (norm weights, biases) stay float32, exactly.
  auto norm = Random(cols);
  auto prepared_norm = gpu_->PrepareWeight(HostTensor(norm, 1, cols));
  ASSERT_TRUE(prepared_norm.ok());
  EXPECT_EQ(prepared_norm->dtype, DType::kF32);
  EXPECT_EQ(Host(*prepared_norm), norm);
}

TEST_F(CudaOpsTest, RmsNormOverRowsAndOverHeads) {
  for (int group : {4096, 128, 12}) {
    const int rows = 9, cols = group == 4096 ? 4096 : group * 5;
    auto x = Random(rows * cols, 2.0f), w = Random(group);
    Tensor gx = Device(x, rows, cols), gw = Device(w, 1, group, DType::kF32);
    Tensor out = Poisoned(rows, cols);
    std::vector<float> want(rows * cols);
    gpu_->RmsNorm(gx, gw, 1e-6f, out);
    cpu_.RmsNorm(HostTensor(x, rows, cols), HostTensor(w, 1, group), 1e-6f, HostTensor(want, rows, cols));
    EXPECT_LT(RelErr(Host(out), want), kTol) << "group " << group;
    gpu_->RmsNorm(gx, gw, 1e-6f, gx);  // in place
    EXPECT_LT(RelErr(Host(gx), want), kTol) << "in place, group " << group;
  }
}

TEST_F(CudaOpsTest, AddRmsNormUpdatesTheResidual) {
  for (int cols : {576, 4096, 5000}) {  // generic, vectorized and too-wide-for-registers rows
    const int rows = 7;
    auto res = Random(rows * cols, 4.0f), x = Random(rows * cols), w = Random(cols);
    Tensor gres = Device(res, rows, cols), gx = Device(x, rows, cols), gw = Device(w, 1, cols, DType::kF32);
    Tensor out = Poisoned(rows, cols);
    std::vector<float> want(rows * cols);
    gpu_->AddRmsNorm(gres, gx, gw, 1e-5f, out);
    cpu_.AddRmsNorm(HostTensor(res, rows, cols), HostTensor(x, rows, cols), HostTensor(w, 1, cols), 1e-5f,
                    HostTensor(want, rows, cols));
    EXPECT_LT(RelErr(Host(gres), res), kTol) << cols;
    EXPECT_LT(RelErr(Host(out), want), kTol) << cols;
  }
}

TEST_F(CudaOpsTest, MatMulsWithBiasIntoBf16AndFloat) {
  struct Shape { int m, n, k; };
  // m <= 8 with k % 8 == 0 takes the skinny-matmul kernel, the rest cuBLASLt.
  for (Shape s : {Shape{1, 4096, 4096}, Shape{8, 130, 4096}, Shape{37, 576, 72}, Shape{5, 12, 72},
                  Shape{3, 40, 12}, Shape{300, 1000, 256},
                  Shape{2, 9000, 2056}, Shape{1, 40000, 64}}) {  // several rows per warp, ragged tiles
    auto x = Random(s.m * s.k), w = Random(s.n * s.k, 0.1f), bias = Random(s.n);
    auto gw = gpu_->PrepareWeight(HostTensor(w, s.n, s.k));
    auto gb = gpu_->PrepareWeight(HostTensor(bias, 1, s.n));
    ASSERT_TRUE(gw.ok() && gb.ok());
    Tensor gx = Device(x, s.m, s.k);
    Tensor out_bf16 = Poisoned(s.m, s.n), out_f32 = Poisoned(s.m, s.n, DType::kF32);
    const LinearJob jobs[] = {{*gw, *gb, out_bf16}, {*gw, Tensor{}, out_f32}};
    gpu_->MatMuls(gx, jobs);
    std::vector<float> want_bias(s.m * s.n), want(s.m * s.n);
    const LinearJob cpu_jobs[] = {{HostTensor(w, s.n, s.k), HostTensor(bias, 1, s.n), HostTensor(want_bias, s.m, s.n)},
                                  {HostTensor(w, s.n, s.k), Tensor{}, HostTensor(want, s.m, s.n)}};
    cpu_.MatMuls(HostTensor(x, s.m, s.k), cpu_jobs);
    EXPECT_LT(RelErr(Host(out_bf16), want_bias), kTol) << s.m << "x" << s.n << "x" << s.k;
    EXPECT_LT(RelErr(Host(out_f32), want), 1e-3) << s.m << "x" << s.n << "x" << s.k;
  }
}

TEST_F(CudaOpsTest, SkinnyMatMulsOfManyWeightsInOneCall) {
  const int m = 2, k = 264;
  std::vector<std::vector<float>> w, want;
  std::vector<LinearJob> gpu_jobs, cpu_jobs;
  auto x = Random(m * k);
  for (int j = 0; j < 6; ++j) {  // more jobs than one launch takes
    const int n = 50 + 33 * j;
    w.push_back(Random(n * k, 0.1f));
    want.emplace_back(m * n);
  }
  for (int j = 0; j < 6; ++j) {
    const int n = static_cast<int>(w[j].size() / k);
    auto gw = gpu_->PrepareWeight(HostTensor(w[j], n, k));
    ASSERT_TRUE(gw.ok());
    gpu_jobs.push_back({*gw, Tensor{}, Poisoned(m, n)});
    cpu_jobs.push_back({HostTensor(w[j], n, k), Tensor{}, HostTensor(want[j], m, n)});
  }
  gpu_->MatMuls(Device(x, m, k), gpu_jobs);
  cpu_.MatMuls(HostTensor(x, m, k), cpu_jobs);
  for (int j = 0; j < 6; ++j) EXPECT_LT(RelErr(Host(gpu_jobs[j].out), want[j]), kTol) << "job " << j;
}

// One activation row (the batch-1 decode) streams weight rows in pieces of at most 8 KB:
// rows of one piece, of several (14336: four of 7 KB; 4104 and 5000: a shorter last
// piece), several weights per launch with more rows than warps, and the gated product.
TEST_F(CudaOpsTest, OneRowMatMulsStreamRowsInPieces) {
  for (int k : {72, 4104, 14336}) {
    auto x = Random(k);
    std::vector<std::vector<float>> w, want;
    std::vector<LinearJob> gpu_jobs, cpu_jobs;
    for (int n : {3000, 517, 9}) {
      w.push_back(Random(static_cast<size_t>(n) * k, 0.1f));
      want.emplace_back(n);
    }
    for (size_t j = 0; j < w.size(); ++j) {
      const int n = static_cast<int>(w[j].size() / k);
      auto gw = gpu_->PrepareWeight(HostTensor(w[j], n, k));
      ASSERT_TRUE(gw.ok());
      gpu_jobs.push_back({*gw, Tensor{}, j == 1 ? Poisoned(1, n, DType::kF32) : Poisoned(1, n)});
      cpu_jobs.push_back({HostTensor(w[j], n, k), Tensor{}, HostTensor(want[j], 1, n)});
    }
    gpu_->MatMuls(Device(x, 1, k), gpu_jobs);
    cpu_.MatMuls(HostTensor(x, 1, k), cpu_jobs);
    for (size_t j = 0; j < w.size(); ++j) EXPECT_LT(RelErr(Host(gpu_jobs[j].out), want[j]), kTol) << k << " job " << j;
  }
  for (int k : {5000, 14336}) {
    const int n = 700;
    auto x = Random(k), g = Random(n * k, 0.1f), u = Random(n * k, 0.1f);
    auto gg = gpu_->PrepareWeight(HostTensor(g, n, k)), gu = gpu_->PrepareWeight(HostTensor(u, n, k));
    ASSERT_TRUE(gg.ok() && gu.ok());
    Tensor out = Poisoned(1, n), up = Poisoned(1, n);
    gpu_->GatedMatMul(Device(x, 1, k), *gg, *gu, Activation::kSilu, up, out);
    std::vector<float> want(n), cpu_up(n);
    cpu_.GatedMatMul(HostTensor(x, 1, k), HostTensor(g, n, k), HostTensor(u, n, k), Activation::kSilu,
                     HostTensor(cpu_up, 1, n), HostTensor(want, 1, n));
    EXPECT_LT(RelErr(Host(out), want), 2 * kTol) << "gated " << k;
  }
}

// The fused gate/up skinny matmul writes exactly what the two matmuls and the gated
// activation it replaces write (decode batches, both activations), and a batch too large
// for it takes that path itself; both against the CPU backend too.
TEST_F(CudaOpsTest, GatedMatMulFusesExactlyTheStepsItReplaces) {
  struct Shape { int m, n, k; };
  for (Shape s :
       {Shape{1, 3000, 4096}, Shape{2, 700, 4104}, Shape{8, 1000, 576}, Shape{3, 77, 264}, Shape{16, 300, 256}}) {
    for (Activation act : {Activation::kSilu, Activation::kGeluTanh}) {
      auto x = Random(s.m * s.k), g = Random(s.n * s.k, 0.1f), u = Random(s.n * s.k, 0.1f);
      auto gg = gpu_->PrepareWeight(HostTensor(g, s.n, s.k)), gu = gpu_->PrepareWeight(HostTensor(u, s.n, s.k));
      ASSERT_TRUE(gg.ok() && gu.ok());
      Tensor gx = Device(x, s.m, s.k);
      Tensor fused = Poisoned(s.m, s.n), stepwise = Poisoned(s.m, s.n), up = Poisoned(s.m, s.n);
      gpu_->GatedMatMul(gx, *gg, *gu, act, up, fused);
      gpu_->Backend::GatedMatMul(gx, *gg, *gu, act, up, stepwise);
      std::vector<float> want(s.m * s.n), cpu_up(s.m * s.n);
      cpu_.GatedMatMul(HostTensor(x, s.m, s.k), HostTensor(g, s.n, s.k), HostTensor(u, s.n, s.k), act,
                       HostTensor(cpu_up, s.m, s.n), HostTensor(want, s.m, s.n));
      const std::vector<float> got = Host(fused);
      EXPECT_EQ(got, Host(stepwise)) << s.m << "x" << s.n << "x" << s.k;
      EXPECT_LT(RelErr(got, want), 2 * kTol) << s.m << "x" << s.n << "x" << s.k;
    }
  }
}

// Three to eight activation rows stream the weights onto the tensor cores: several jobs
// (with a bias, into float, a single group of 8 rows), k from 1,024 to 4,096, against the
// CPU backend; and the gated product, bit for bit the two matmuls and the activation it
// replaces (which take the same kernel).
TEST_F(CudaOpsTest, FewRowMatMulsStreamOnTheTensorCores) {
  const int64_t before = gpu_->num_mma_streamed_matmuls();
  int launches = 0;
  for (int m : {3, 5, 8}) {
    for (int k : {1024, 4096}) {
      auto x = Random(m * k), bias = Random(1024);
      std::vector<std::vector<float>> w, want;
      std::vector<LinearJob> gpu_jobs, cpu_jobs;
      for (int n : {1024, 264, 8}) {
        w.push_back(Random(static_cast<size_t>(n) * k, 0.1f));
        want.emplace_back(static_cast<size_t>(m) * n);
      }
      auto gb = gpu_->PrepareWeight(HostTensor(bias, 1, 1024));
      ASSERT_TRUE(gb.ok());
      for (size_t j = 0; j < w.size(); ++j) {
        const int n = static_cast<int>(w[j].size() / k);
        auto gw = gpu_->PrepareWeight(HostTensor(w[j], n, k));
        ASSERT_TRUE(gw.ok());
        gpu_jobs.push_back({*gw, j == 0 ? *gb : Tensor{}, j == 1 ? Poisoned(m, n, DType::kF32) : Poisoned(m, n)});
        cpu_jobs.push_back({HostTensor(w[j], n, k), j == 0 ? HostTensor(bias, 1, 1024) : Tensor{},
                            HostTensor(want[j], m, n)});
      }
      gpu_->MatMuls(Device(x, m, k), gpu_jobs);
      ++launches;
      cpu_.MatMuls(HostTensor(x, m, k), cpu_jobs);
      for (size_t j = 0; j < w.size(); ++j)
        EXPECT_LT(RelErr(Host(gpu_jobs[j].out), want[j]), j == 1 ? 1e-3 : kTol) << m << "x" << k << " job " << j;
    }
  }
  const int m = 4, n = 1000, k = 4096;
  auto x = Random(m * k), g = Random(n * k, 0.1f), u = Random(n * k, 0.1f);
  auto gg = gpu_->PrepareWeight(HostTensor(g, n, k)), gu = gpu_->PrepareWeight(HostTensor(u, n, k));
  ASSERT_TRUE(gg.ok() && gu.ok());
  Tensor gx = Device(x, m, k);
  Tensor fused = Poisoned(m, n), stepwise = Poisoned(m, n), up = Poisoned(m, n);
  gpu_->GatedMatMul(gx, *gg, *gu, Activation::kSilu, up, fused);
  gpu_->Backend::GatedMatMul(gx, *gg, *gu, Activation::kSilu, up, stepwise);
  launches += 2;  // the gated launch, and the stepwise path's one launch of both weights
  std::vector<float> want(m * n), cpu_up(m * n);
  cpu_.GatedMatMul(HostTensor(x, m, k), HostTensor(g, n, k), HostTensor(u, n, k), Activation::kSilu,
                   HostTensor(cpu_up, m, n), HostTensor(want, m, n));
  const std::vector<float> got = Host(fused);
  EXPECT_EQ(got, Host(stepwise));
  EXPECT_LT(RelErr(got, want), 2 * kTol);
  EXPECT_EQ(gpu_->num_mma_streamed_matmuls() - before, launches);
}

TEST_F(CudaOpsTest, RopeNeoxAndInterleavedAtTheBatchPositions) {
  const int n = 33, heads = 3, head_dim = 64;
  const ForwardBatch b = Batch(n, 1000, 10);  // positions 1000..1032
  BeginBoth(b);
  RopeSpec specs[2];  // distinct objects: backends may cache a spec's tables by address for the step
  for (bool neox : {true, false}) {
    RopeSpec& spec = specs[neox ? 0 : 1];
    for (int i = 0; i < 24; ++i) spec.inv_freq.push_back(std::pow(10000.0f, -2.0f * i / 48));  // partial rotary
    spec.neox = neox;
    spec.attention_factor = neox ? 1.0f : 1.3f;
    auto x = Random(n * heads * head_dim);
    Tensor gx = Device(x, n, heads * head_dim);
    gpu_->Rope(gx, head_dim, spec);
    cpu_.Rope(HostTensor(x, n, heads * head_dim), head_dim, spec);
    EXPECT_LT(RelErr(Host(gx), x), kTol) << "neox " << neox;
  }
}

// Multi-axis RoPE (M-RoPE's t/h/w, a vision tower's row/column): each frequency section
// takes its positions from its axis; a batch with fewer axes than sections uses the token
// positions for the rest. Also fused with the KV store, as the decoder layers call it.
TEST_F(CudaOpsTest, MultiAxisRopeTakesEachSectionsPositionsFromItsAxis) {
  const int n = 21, heads = 2, head_dim = 32;
  for (int axes_in_batch : {3, 2}) {
    ForwardBatch b = Batch(n, 40, 10);
    std::uniform_int_distribution<int32_t> pos(0, 5000);
    b.axis_positions.assign(axes_in_batch, std::vector<int32_t>(n));
    for (auto& axis : b.axis_positions)
      for (int32_t& p : axis) p = pos(rng_);
    BeginBoth(b);
    RopeSpec spec;
    for (int i = 0; i < 12; ++i) spec.inv_freq.push_back(std::pow(10000.0f, -2.0f * i / 24));
    spec.neox = false;
    spec.axis_sections = {4, 4, 4};
    auto x = Random(n * heads * head_dim);
    Tensor gx = Device(x, n, heads * head_dim);
    gpu_->Rope(gx, head_dim, spec);
    cpu_.Rope(HostTensor(x, n, heads * head_dim), head_dim, spec);
    EXPECT_LT(RelErr(Host(gx), x), kTol) << axes_in_batch << " axes in the batch";
  }
}

// The vision encoders' ops: LayerNorm (with and without bias), exact GELU, and full
// attention within each of several sequences (GQA too).
TEST_F(CudaOpsTest, EncoderOpsMatchTheCpu) {
  const int rows = 9, cols = 1100;
  auto x = Random(rows * cols, 3.0f), w = Random(cols), bias = Random(cols);
  Tensor gw = Device(w, 1, cols, DType::kF32), gb = Device(bias, 1, cols, DType::kF32);
  for (bool with_bias : {true, false}) {
    Tensor gx = Device(x, rows, cols), out = Poisoned(rows, cols);
    std::vector<float> want(rows * cols);
    gpu_->LayerNorm(gx, gw, with_bias ? gb : Tensor{}, 1e-5f, out);
    cpu_.LayerNorm(HostTensor(x, rows, cols), HostTensor(w, 1, cols), with_bias ? HostTensor(bias, 1, cols) : Tensor{},
                   1e-5f, HostTensor(want, rows, cols));
    EXPECT_LT(RelErr(Host(out), want), kTol) << "bias " << with_bias;
  }
  {
    Tensor gx = Device(x, rows, cols);
    std::vector<float> want(rows * cols);
    gpu_->Gelu(gx, gx);
    cpu_.Gelu(HostTensor(x, rows, cols), HostTensor(want, rows, cols));
    EXPECT_LT(RelErr(Host(gx), want), kTol);
  }
  // Head sizes that are multiples of 16 take a tensor-core kernel (64 and 128 the mma.sync
  // one, the others WMMA); 72 the CUDA-core one.
  for (auto [q_heads, kv_heads, head_dim] : {std::tuple{4, 4, 80}, std::tuple{6, 2, 32}, std::tuple{2, 1, 256},
                                             std::tuple{2, 2, 72}, std::tuple{4, 2, 64}, std::tuple{3, 3, 128}}) {
    ForwardBatch b;  // three sequences of 37, 1 and 70 tokens, no KV cache involved
    b.input_ids.assign(108, 0);
    b.positions.assign(108, 0);
    b.sequences = {{0, 37, 0, 0}, {37, 1, 0, 0}, {38, 70, 0, 0}};
    BeginBoth(b);
    const int n = 108, qw = q_heads * head_dim, kw = kv_heads * head_dim;
    auto q = Random(n * qw, 2.0f), k = Random(n * kw, 2.0f), v = Random(n * kw);
    AttentionSpec spec{q_heads, kv_heads, head_dim, 1.0f / std::sqrt(float(head_dim)), 0, 0};
    Tensor out = Poisoned(n, qw);
    std::vector<float> want(n * qw);
    gpu_->BidirectionalAttention(Device(q, n, qw), Device(k, n, kw), Device(v, n, kw), spec, out);
    cpu_.BidirectionalAttention(HostTensor(q, n, qw), HostTensor(k, n, kw), HostTensor(v, n, kw), spec,
                                HostTensor(want, n, qw));
    EXPECT_LT(RelErr(Host(out), want), kTol) << q_heads << "q/" << kv_heads << "kv x" << head_dim;
  }
}

// Rope(q), Rope(k), StoreKv(k, v) as the layers call them run as one fused kernel on
// CUDA: q and k must come out rotated and the cache must hold the rotated k (checked
// through attention over it), also with partial rotary dims and GQA. 70 tokens take the
// prefill schedule (runs of 8 heads per block; 15 heads leave a short run with k heads).
TEST_F(CudaOpsTest, RopeAndKvStoreFuseWithTheSameResults) {
  const int q_heads = 12, kv_heads = 3, head_dim = 64;
  for (auto [n, rotary_pairs] : {std::pair{19, 32}, std::pair{19, 12}, std::pair{70, 32}, std::pair{70, 12}}) {
    ForwardBatch b;
    std::vector<int32_t> slots(n);  // scattered slots, no cached prefix
    for (size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<int32_t>(3 * i + 1);
    b.AddSequence(std::vector<int32_t>(n, 1), slots, true);
    const KvCacheShape shape{1, 4096, kv_heads, head_dim};
    ASSERT_TRUE(cpu_.CreateKvCache(shape).ok());
    ASSERT_TRUE(gpu_->CreateKvCache(shape).ok());
    ASSERT_TRUE(cpu_.BeginForward(b).ok());
    ASSERT_TRUE(gpu_->BeginForward(b).ok());
    RopeSpec spec;
    for (int i = 0; i < rotary_pairs; ++i) spec.inv_freq.push_back(std::pow(10000.0f, -1.0f * i / rotary_pairs));
    const int qw = q_heads * head_dim, kw = kv_heads * head_dim;
    auto q = Random(n * qw), k = Random(n * kw), v = Random(n * kw);
    Tensor gq = Device(q, n, qw), gk = Device(k, n, kw), gv = Device(v, n, kw);
    gpu_->Rope(gq, head_dim, spec);
    gpu_->Rope(gk, head_dim, spec);
    gpu_->StoreKv(0, gk, gv);
    cpu_.Rope(HostTensor(q, n, qw), head_dim, spec);
    cpu_.Rope(HostTensor(k, n, kw), head_dim, spec);
    cpu_.StoreKv(0, HostTensor(k, n, kw), HostTensor(v, n, kw));
    const AttentionSpec attn{q_heads, kv_heads, head_dim, 0.125f, 0, 0};
    Tensor out = Poisoned(n, qw);
    std::vector<float> want(n * qw);
    gpu_->Attention(0, gq, attn, out);
    cpu_.Attention(0, HostTensor(q, n, qw), attn, HostTensor(want, n, qw));
    EXPECT_LT(RelErr(Host(gq), q), kTol) << n << " tokens, " << rotary_pairs << " pairs";
    EXPECT_LT(RelErr(Host(gk), k), kTol) << n << " tokens, " << rotary_pairs << " pairs";
    EXPECT_LT(RelErr(Host(out), want), kTol) << n << " tokens, " << rotary_pairs << " pairs";
  }
}

TEST_F(CudaOpsTest, GatedActivationsAddAndGather) {
  const int rows = 6, cols = 1000;
  const ForwardBatch b = Batch(rows, 0, 10);
  BeginBoth(b);
  for (Activation act : {Activation::kSilu, Activation::kGeluTanh}) {
    for (int c : {cols, 1003}) {  // vectorized and scalar paths
      auto g = Random(rows * c, 4.0f), u = Random(rows * c);
      Tensor gg = Device(g, rows, c), gu = Device(u, rows, c), out = Poisoned(rows, c);
      std::vector<float> want(rows * c);
      gpu_->GatedActivation(gg, gu, act, out);
      cpu_.GatedActivation(HostTensor(g, rows, c), HostTensor(u, rows, c), act, HostTensor(want, rows, c));
      EXPECT_LT(RelErr(Host(out), want), kTol);
    }
  }
  auto x = Random(rows * cols), y = Random(rows * cols);
  Tensor gx = Device(x, rows, cols), gy = Device(y, rows, cols);
  gpu_->Add(gx, gy);
  cpu_.Add(HostTensor(x, rows, cols), HostTensor(y, rows, cols));
  EXPECT_LT(RelErr(Host(gx), x), kTol);
  Tensor picked = Poisoned(static_cast<int64_t>(b.logit_rows.size()), cols);
  std::vector<float> want(b.logit_rows.size() * cols);
  gpu_->GatherLogitRows(gx, picked);
  cpu_.GatherLogitRows(HostTensor(x, rows, cols), HostTensor(want, picked.rows, cols));
  EXPECT_LT(RelErr(Host(picked), want), kTol);
}

TEST_F(CudaOpsTest, SampleRowsArgmaxPicksTheFirstLargestAsTheHostDoes) {
  const int rows = 4;
  const ForwardBatch b = Batch(rows, 0, 10);  // no sample temperatures: the argmax of every row
  BeginBoth(b);
  for (int cols : {7, 1000, 49152, 128256}) {  // fewer columns than threads, and vocabulary sizes
    std::vector<float> x = Random(static_cast<size_t>(rows) * cols, 10.0f);
    x[1 * cols + cols / 3] = 20.0f;  // a tie: the lower column must win
    x[1 * cols + cols - 1] = 20.0f;
    for (int c = 0; c < cols; ++c) x[2 * cols + c] = -INFINITY;  // all equal: column 0
    x[3 * cols + cols - 1] = 30.0f;                              // the last column
    Tensor gx = Device(x, rows, cols, DType::kF32), ids = Poisoned(rows, 1, DType::kI32);
    gpu_->SampleRows(gx, ids);
    std::vector<int32_t> got(rows, -1), cpu(rows, -1);
    ASSERT_TRUE(gpu_->CopyToHost(ids, got.data()).ok());
    cpu_.SampleRows(HostTensor(x, rows, cols), Tensor{cpu.data(), DType::kI32, rows, 1});
    EXPECT_EQ(got, cpu) << cols << " columns";
    EXPECT_EQ(got[1], cols / 3);
    EXPECT_EQ(got[2], 0);
    EXPECT_EQ(got[3], cols - 1);
    const float* row0 = x.data();
    EXPECT_EQ(got[0], std::max_element(row0, row0 + cols) - row0);
  }
}

// Temperature draws on the GPU use the host's noise (sample_noise.h): the same seed gives
// the same token as the CPU backend (up to float rounding at near-ties), greedy rows
// stay argmaxes, and the tokens spread over the row's likely columns.
TEST_F(CudaOpsTest, SampleRowsDrawsWithTheHostsNoise) {
  const int rows = 512, cols = 32000;
  ForwardBatch b;
  std::vector<int32_t> slots(rows);
  std::iota(slots.begin(), slots.end(), 0);
  b.AddSequence(std::vector<int32_t>(rows, 1), slots, false);
  for (int r = 0; r < rows; ++r) {
    b.logit_rows.push_back(r);
    b.sampling.push_back({.temperature = r % 8 == 0 ? 0.0f : 0.5f + 0.25f * (r % 5), .seed = 0x1234567ull * (r + 1)});
  }
  BeginBoth(b);
  std::vector<float> x = Random(static_cast<size_t>(rows) * cols, 1.0f);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < 16; ++c) x[r * cols + c] = 6.0f + 0.125f * c;  // 16 likely columns
  Tensor gx = Device(x, rows, cols, DType::kF32), ids = Poisoned(rows, 1, DType::kI32);
  gpu_->SampleRows(gx, ids);
  std::vector<int32_t> got(rows, -1), cpu(rows, -1);
  ASSERT_TRUE(gpu_->CopyToHost(ids, got.data()).ok());
  cpu_.SampleRows(HostTensor(x, rows, cols), Tensor{cpu.data(), DType::kI32, rows, 1});
  int same = 0;
  std::set<int32_t> drawn;
  for (int r = 0; r < rows; ++r) {
    same += got[r] == cpu[r];
    if (r % 8 == 0) {
      EXPECT_EQ(got[r], 15) << "greedy row " << r;
    }
    else drawn.insert(got[r]);
  }
  EXPECT_GE(same, rows - 2);
  EXPECT_GE(drawn.size(), 8u);  // a draw, not an argmax
}

// Cuts, edits and masks (row_sampling.h) on the GPU against the CPU backend's sorted
// reference: top-k, top-p and min-p alone and together, rows with many tied logits (where
// the cut falls inside a tie and columns decide), greedy rows, logits processing as edits
// (bias, repetition, penalties, a banned best column) and grammar masks (a few allowed
// columns, or most; columns past the mask's words) applied in place the same way.
TEST_F(CudaOpsTest, SampleRowsCutsAndEditsAsTheHostDoes) {
  const int rows = 384, cols = 5003;
  ForwardBatch b;
  std::vector<int32_t> slots(rows);
  std::iota(slots.begin(), slots.end(), 0);
  b.AddSequence(std::vector<int32_t>(rows, 1), slots, false);
  std::vector<float> x = Random(static_cast<size_t>(rows) * cols, 4.0f);
  const int top_ks[] = {0, 1, 5, 40, cols - 1};
  const float top_ps[] = {1.0f, 0.9f, 0.5f, 0.05f};
  const float min_ps[] = {0.0f, 0.05f, 0.3f};
  for (int r = 0; r < rows; ++r) {
    float* row = x.data() + static_cast<size_t>(r) * cols;
    if (r % 3 == 0)  // coarse logits: long runs of ties
      for (int c = 0; c < cols; ++c) row[c] = std::round(row[c] * 2.0f) / 2.0f;
    b.logit_rows.push_back(r);
    RowSampling s{.temperature = r % 7 == 0 ? 0.0f : 0.4f + 0.3f * (r % 4), .seed = 0x9e3779b9ull * (r + 3),
                  .top_k = top_ks[r % 5], .top_p = top_ps[(r / 5) % 4], .min_p = min_ps[(r / 20) % 3]};
    s.edit_begin = static_cast<int32_t>(b.logit_edits.size());
    if (r % 4 == 1) {
      const int best = static_cast<int>(std::max_element(row, row + cols) - row);
      b.logit_edits.push_back({.column = (best + 7) % cols, .bias = 2.5f});  // a row's columns are distinct
      b.logit_edits.push_back({.column = (best + 13) % cols, .repetition = 1.3f, .penalty = 0.5f});
      b.logit_edits.push_back({.column = best, .forbid = 1});
      std::sort(b.logit_edits.begin() + s.edit_begin, b.logit_edits.end(),
                [](const LogitEdit& a, const LogitEdit& e) { return a.column < e.column; });
    }
    s.edit_end = static_cast<int32_t>(b.logit_edits.size());
    if (r % 3 == 1) {  // a grammar's mask: a few columns, or all but a few
      s.mask_begin = static_cast<int32_t>(b.token_masks.size());
      s.mask_words = (cols - 100 * (r % 2)) / 32;  // odd rows: the last columns lie past it
      for (int w = 0; w < s.mask_words; ++w)
        b.token_masks.push_back(r % 9 == 1 ? 0x00010001u << (w % 16) : ~(1u << (w % 32)));
    }
    b.sampling.push_back(s);
  }
  BeginBoth(b);
  Tensor gx = Device(x, rows, cols, DType::kF32), ids = Poisoned(rows, 1, DType::kI32);
  gpu_->SampleRows(gx, ids);
  std::vector<int32_t> got(rows, -1), cpu(rows, -1);
  ASSERT_TRUE(gpu_->CopyToHost(ids, got.data()).ok());
  std::vector<float> gpu_edited(x.size());
  ASSERT_TRUE(gpu_->CopyToHost(gx, gpu_edited.data()).ok());
  cpu_.SampleRows(HostTensor(x, rows, cols), Tensor{cpu.data(), DType::kI32, rows, 1});  // edits x in place
  size_t edited_differently = 0;
  for (size_t i = 0; i < x.size(); ++i) edited_differently += gpu_edited[i] != x[i];
  EXPECT_EQ(edited_differently, 0u);
  for (int r = 0; r < rows; ++r) {
    EXPECT_EQ(got[r], cpu[r]) << "row " << r;
    const float* row = x.data() + static_cast<size_t>(r) * cols;
    const RowSampling& s = b.sampling[r];
    if (s.temperature == 0.0f || s.top_k == 1) {
      EXPECT_EQ(got[r], std::max_element(row, row + cols) - row) << "row " << r;
    }
    EXPECT_TRUE(MaskAllows(s, b.token_masks.data(), got[r])) << "row " << r;
    if (s.top_k > 0) {  // inside the top k
      int better = 0;
      for (int c = 0; c < cols; ++c) better += row[c] > row[got[r]];
      EXPECT_LT(better, s.top_k) << "row " << r;
    }
  }
}

TEST_F(CudaOpsTest, BadArgumentsBecomeErrorsNotCrashes) {
  ForwardBatch b = Batch(4, 0, 10);
  ASSERT_TRUE(gpu_->CreateKvCache({2, 64, 2, 16}).ok());
  b.out_kv_slots[0] = 64;
  EXPECT_FALSE(gpu_->BeginForward(b).ok());
  b.out_kv_slots[0] = 0;
  ASSERT_TRUE(gpu_->BeginForward(b).ok());
  Tensor q = Poisoned(4, 3 * 16), out = Poisoned(4, 3 * 16);
  AttentionSpec spec{3, 2, 16, 0.25f, 0, 0};  // 3 q heads cannot share 2 KV heads
  gpu_->Attention(0, q, spec, out);
  std::vector<float> host(4 * 48);
  EXPECT_FALSE(gpu_->CopyToHost(out, host.data()).ok());
  ASSERT_TRUE(gpu_->BeginForward(b).ok());  // the next step starts clean
  EXPECT_FALSE(gpu_->CreateKvCache({1, 8, 1, 512}).ok());  // head_dim beyond the kernel
}

}  // namespace
}  // namespace sgl
