#include "model/model_config.h"

#include <cmath>
#include <numbers>

namespace sgl {

std::vector<float> RopeConfig::InverseFrequencies() const {
  const int half = rotary_dim / 2;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i) {
    double f = 1.0 / std::pow(theta, 2.0 * i / rotary_dim);
    if (scaling == RopeScalingType::kLinear) f /= factor;
    if (scaling == RopeScalingType::kLlama3) {
      // Long wavelengths are slowed by `factor`, short ones kept, the band between blended.
      const double wavelen = 2 * std::numbers::pi / f;
      const double low_freq_wavelen = original_max_positions / low_freq_factor;
      const double high_freq_wavelen = original_max_positions / high_freq_factor;
      if (wavelen > low_freq_wavelen) {
        f /= factor;
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth =
            (original_max_positions / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
        f = (1 - smooth) * f / factor + smooth * f;
      }
    }
    if (!freq_factors.empty()) f /= freq_factors[i];
    inv_freq[i] = static_cast<float>(f);
  }
  return inv_freq;
}

Status ModelConfig::Validate() const {
  if (vocab_size <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_layers <= 0)
    return InvalidArgument("model sizes must be positive (vocab {}, hidden {}, intermediate {}, layers {})",
                           vocab_size, hidden_size, intermediate_size, num_layers);
  if (num_heads <= 0 || num_kv_heads <= 0 || num_heads % num_kv_heads != 0)
    return InvalidArgument("attention heads ({}) must be a positive multiple of key/value heads ({})", num_heads,
                           num_kv_heads);
  if (head_dim <= 0 || head_dim % 2 != 0 || head_dim > 512)
    return InvalidArgument("head_dim must be even and in [2, 512], got {}", head_dim);
  if (rope.rotary_dim <= 0 || rope.rotary_dim > head_dim || rope.rotary_dim % 2 != 0)
    return InvalidArgument("rotary dimension {} must be even and at most head_dim {}", rope.rotary_dim, head_dim);
  if (!rope.freq_factors.empty() && static_cast<int>(rope.freq_factors.size()) != rope.rotary_dim / 2)
    return InvalidArgument("rope_freqs has {} entries, expected {}", rope.freq_factors.size(), rope.rotary_dim / 2);
  if (static_cast<int>(layer_is_sliding.size()) != num_layers)
    return InvalidArgument("sliding-window layer list has {} entries for {} layers", layer_is_sliding.size(),
                           num_layers);
  if (!(rms_norm_eps > 0)) return InvalidArgument("rms_norm_eps must be positive");
  if (context_length <= 0) return InvalidArgument("context length must be positive, got {}", context_length);
  if (sliding_window < 0) return InvalidArgument("sliding window must be >= 0, got {}", sliding_window);
  if (!(rope.theta > 0) || !(rope_local.theta > 0) || !(rope.factor > 0))
    return InvalidArgument("RoPE base and scaling factor must be positive");
  return Status::Ok();
}

std::string ModelConfig::Summary() const {
  return fmt::format(
      "{}: {} layers, hidden {}, ffn {}, heads {}/{} (kv), head_dim {}, vocab {}, context {}, rope base {}{}{}",
      arch_name, num_layers, hidden_size, intermediate_size, num_heads, num_kv_heads, head_dim, vocab_size,
      context_length, rope.theta, tie_word_embeddings ? ", tied embeddings" : "",
      sliding_window > 0 ? fmt::format(", sliding window {}", sliding_window) : "");
}

}  // namespace sgl
