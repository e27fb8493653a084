// ShardLayout: which part of a model one tensor-parallel rank holds (Megatron-style):
// attention heads [q_head_begin, +num_q_heads) and their KV heads (replicated when the
// model has fewer KV heads than ranks), MLP rows [intermediate_begin, +intermediate_size)
// and vocabulary rows [vocab_begin, +vocab_size) of the embedding and LM head. With one
// rank it is the whole model. Plain data; Create() is the startup check of a tp size.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "model/model_config.h"

namespace sgl {

struct ShardLayout {
  int rank = 0;
  int size = 1;
  int q_head_begin = 0, num_q_heads = 0;
  int kv_head_begin = 0, num_kv_heads = 0;
  int64_t intermediate_begin = 0, intermediate_size = 0;
  int64_t vocab_begin = 0, vocab_size = 0;

  // Fails, naming the dimension, when heads, KV heads, the intermediate size or the
  // vocabulary cannot be split evenly over `size` ranks. REQUIRES: 0 <= rank < size.
  static Result<ShardLayout> Create(const ModelConfig& config, int rank, int size);
  // Everything on rank 0 of 1 (no checks needed).
  static ShardLayout Whole(const ModelConfig& config);
  // Only the checks of Create (for every rank alike).
  static Status Check(const ModelConfig& config, int size);
};

}  // namespace sgl
