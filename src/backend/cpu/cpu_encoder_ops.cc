// CpuBackend's encoder ops: what a vision tower needs beyond a decoder's ops (activation
// upload, LayerNorm with bias, exact GELU, full attention within each sequence).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/cpu_backend.h"

namespace sgl {

void CpuBackend::Upload(const float* src, Tensor dst) {
  std::memcpy(dst.data, src, static_cast<size_t>(dst.rows * dst.cols) * sizeof(float));
}

void CpuBackend::LayerNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor out) {
  const int64_t n = x.cols;
  pool_.ParallelFor(x.rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x.Rows(r, 1).As<float>();
      float* o = out.Rows(r, 1).As<float>();
      double mean = 0, var = 0;
      for (int64_t i = 0; i < n; ++i) mean += in[i];
      mean /= static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) var += (in[i] - mean) * (in[i] - mean);
      const auto inv_std = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(n) + eps));
      const auto m = static_cast<float>(mean);
      for (int64_t i = 0; i < n; ++i) {
        o[i] = (in[i] - m) * inv_std * weight.As<float>()[i] + (bias.empty() ? 0.0f : bias.As<float>()[i]);
      }
    }
  });
}

void CpuBackend::Gelu(const Tensor& x, Tensor out) {
  const int64_t n = x.rows * x.cols;
  const float* in = x.As<float>();
  float* o = out.As<float>();
  for (int64_t i = 0; i < n; ++i) o[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * static_cast<float>(M_SQRT1_2)));
}

void CpuBackend::BidirectionalAttention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionSpec& spec,
                                        Tensor out) {
  const int head_dim = spec.head_dim;
  const int group = spec.num_q_heads / spec.num_kv_heads;
  for (const BatchSequence& seq : batch_->sequences) {
    const int64_t begin = seq.token_begin, len = seq.num_new_tokens;
    pool_.ParallelFor(len * spec.num_q_heads, 1, [&](int64_t job_begin, int64_t job_end) {
      std::vector<float> scores(len);
      for (int64_t job = job_begin; job < job_end; ++job) {
        const int64_t t = begin + job / spec.num_q_heads;
        const int h = static_cast<int>(job % spec.num_q_heads), kv_h = h / group;
        const float* qh = q.Rows(t, 1).As<float>() + h * head_dim;
        float max_score = -INFINITY;
        for (int64_t j = 0; j < len; ++j) {
          const float* kh = k.Rows(begin + j, 1).As<float>() + kv_h * head_dim;
          float dot = 0;
          for (int d = 0; d < head_dim; ++d) dot += qh[d] * kh[d];
          scores[j] = dot * spec.scale;
          max_score = std::max(max_score, scores[j]);
        }
        double total = 0;
        for (int64_t j = 0; j < len; ++j) total += scores[j] = std::exp(scores[j] - max_score);
        float* oh = out.Rows(t, 1).As<float>() + h * head_dim;
        std::fill(oh, oh + head_dim, 0.0f);
        for (int64_t j = 0; j < len; ++j) {
          const float p = static_cast<float>(scores[j] / total);
          const float* vh = v.Rows(begin + j, 1).As<float>() + kv_h * head_dim;
          for (int d = 0; d < head_dim; ++d) oh[d] += p * vh[d];
        }
      }
    });
  }
}

}  // namespace sgl
