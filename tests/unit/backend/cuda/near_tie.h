// GreedyDivergence: where a CUDA greedy output first parts from the CPU backend's (whose
// greedy outputs equal transformers'), and whether the CPU's own logits show a near-tie
// between the two choices there — the only divergence BF16 activations may cause.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "sgl/engine.h"

namespace sgl::testing {

// A divergence is accepted only where the CPU's top logit beats the token CUDA chose by
// less than this share of the row's max |logit|.
constexpr double kNearTie = 3e-2;

struct GreedyDivergence {
  size_t at = 0;       // first differing output position
  double gap = 0;      // CPU logit of its choice minus that of CUDA's choice
  double scale = 1.0;  // the row's max |logit| (at least 1)
  bool near_tie() const { return gap < kNearTie * scale; }
};

// nullopt when `got` equals `want`. `cpu` computes the logits at the parting position.
inline std::optional<GreedyDivergence> FindDivergence(Engine& cpu, const std::vector<int32_t>& prompt,
                                                      const std::vector<int32_t>& want,
                                                      const std::vector<int32_t>& got) {
  const size_t n = std::min(want.size(), got.size());
  const size_t at = std::mismatch(got.begin(), got.begin() + n, want.begin()).first - got.begin();
  if (at == n && want.size() == got.size()) return std::nullopt;
  GreedyDivergence d;
  d.at = at;
  if (at == n) {  // one is longer: not a near-tie of any logits
    d.gap = INFINITY;
    return d;
  }
  std::vector<int32_t> context = prompt;
  context.insert(context.end(), want.begin(), want.begin() + at);
  auto logits = cpu.PromptLogits(context);
  if (!logits.ok()) {
    d.gap = INFINITY;
    return d;
  }
  const int64_t vocab = cpu.Info().vocab_size;
  const float* row = logits->data() + (context.size() - 1) * vocab;
  for (int64_t v = 0; v < vocab; ++v) d.scale = std::max(d.scale, std::abs(double(row[v])));
  d.gap = double(row[want[at]]) - row[got[at]];
  return d;
}

}  // namespace sgl::testing
