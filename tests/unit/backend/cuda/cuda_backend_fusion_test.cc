// The held-back ops of decode batches (cuda_backend_fusion.cc): a decode layer's norms
// and residual adds folded into its matmuls leave every tensor bit for bit as the unfused
// ops do, at one row and at several, and an op that cannot fold launches what was held
// back first.
#include <cmath>

#include "cuda_test_util.h"

namespace sgl {
namespace {

class CudaBackendFusionTest : public testing::CudaTest {
 protected:
  static constexpr int kHidden = 2048, kHeads = 1024, kFfn = 3000;
  static constexpr float kEps = 1e-5f;

  struct Weights {
    Tensor w0, w1, w2;                       // norm weights [1, kHidden] float
    Tensor wa, wb, wo, gate, up, down, wc;  // bf16 matrices
  };
  struct State {
    Tensor h, normed, a, b, branch, up, act, c, h2;  // h2: a second residual
  };

  Tensor Matrix(int rows, int cols) { return Device(Random(static_cast<size_t>(rows) * cols, 0.05f), rows, cols); }
  Tensor NormWeight() { return Device(Random(kHidden, 1.0f), 1, kHidden, DType::kF32); }

  State Fresh(const std::vector<float>& h, int rows) {
    return {Device(h, rows, kHidden),     Poisoned(rows, kHidden), Poisoned(rows, kHeads),
            Poisoned(rows, 256, DType::kF32), Poisoned(rows, kHidden), Poisoned(rows, kFfn),
            Poisoned(rows, kFfn),         Poisoned(rows, kHidden),  Device(h, rows, kHidden)};
  }

  // One decode layer's op sequence; with `sync`, each op's work is launched before the
  // next op is called (CopyToHost ends the step), so nothing can fold.
  void Layer(const Weights& w, State& s, bool sync) {
    auto step = [&] {
      if (sync) Host(s.h);
    };
    gpu_->RmsNorm(s.h, w.w0, kEps, s.normed);
    step();
    const LinearJob ab[] = {{w.wa, Tensor{}, s.a}, {w.wb, Tensor{}, s.b}};
    gpu_->MatMuls(s.normed, ab);  // norm prologue, two jobs, a float output
    step();
    gpu_->MatMul(s.a, w.wo, Tensor{}, s.branch);
    step();
    gpu_->AddRmsNorm(s.h, s.branch, w.w1, kEps, s.normed);  // add epilogue, then a held-back norm
    step();
    gpu_->GatedMatMul(s.normed, w.gate, w.up, Activation::kSilu, s.up, s.act);  // norm prologue, gated
    step();
    gpu_->MatMul(s.act, w.down, Tensor{}, s.branch);
    step();
    gpu_->AddRmsNorm(s.h, s.branch, w.w2, kEps, s.normed);
    step();
    gpu_->MatMul(s.normed, w.wc, Tensor{}, s.c);  // norm prologue and held back
    step();
    gpu_->Add(s.h, s.c);  // cannot fold: that matmul reads h for its norm
    step();
    gpu_->MatMul(s.normed, w.wc, Tensor{}, s.c);
    step();
    gpu_->Add(s.h2, s.c);  // add epilogue
    step();
    gpu_->RmsNorm(s.h, w.w0, kEps, s.normed);  // held back, then launched by an op that cannot fold it
    step();
    gpu_->Add(s.c, s.normed);
  }
  void CheckLayer(int rows);
};

TEST_F(CudaBackendFusionTest, FoldedNormsAndAddsMatchTheUnfusedOps) {
  for (int rows : {1, 2}) {
    SCOPED_TRACE(::testing::Message() << rows << " rows");
    gpu_->set_gemv_max_rows(rows);
    CheckLayer(rows);
  }
}

void CudaBackendFusionTest::CheckLayer(int rows) {
  Weights w{NormWeight(),        NormWeight(),           NormWeight(),        Matrix(kHeads, kHidden),
            Matrix(256, kHidden), Matrix(kHidden, kHeads), Matrix(kFfn, kHidden), Matrix(kFfn, kHidden),
            Matrix(kHidden, kFfn), Matrix(kHidden, kHidden)};
  const std::vector<float> h = Random(static_cast<size_t>(rows) * kHidden, 2.0f);
  State fused = Fresh(h, rows), unfused = Fresh(h, rows);
  const int64_t folded_before = gpu_->num_folded_ops();
  Layer(w, unfused, /*sync=*/true);
  EXPECT_EQ(gpu_->num_folded_ops(), folded_before);
  Layer(w, fused, /*sync=*/false);
  EXPECT_EQ(gpu_->num_folded_ops(), folded_before + 6);  // 3 norm prologues, 3 add epilogues
  auto same = [&](const Tensor& a, const Tensor& b, const char* what) {
    const std::vector<float> x = Host(a), y = Host(b);
    for (float v : x) {
      ASSERT_FALSE(std::isnan(v)) << what << " has unwritten values";
    }
    EXPECT_EQ(x, y) << what;
  };
  same(fused.h, unfused.h, "residual");
  same(fused.normed, unfused.normed, "normed");
  same(fused.a, unfused.a, "a");
  same(fused.b, unfused.b, "b (float)");
  same(fused.branch, unfused.branch, "branch");
  same(fused.act, unfused.act, "gated");
  same(fused.c, unfused.c, "c");
  same(fused.h2, unfused.h2, "second residual");
  // The residual really moved: the adds happened (once each).
  EXPECT_NE(Host(fused.h), h);
}

}  // namespace
}  // namespace sgl
