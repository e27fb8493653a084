#include "model/shard_layout.h"

namespace sgl {

Status ShardLayout::Check(const ModelConfig& c, int size) {
  if (size < 1) return InvalidArgument("tp size must be >= 1, got {}", size);
  if (c.num_heads < 1 || c.num_kv_heads < 1) return InvalidArgument("the model has no attention heads to split");
  if (c.num_heads % size != 0)
    return InvalidArgument("tp size {} does not divide the {} attention heads", size, c.num_heads);
  if (c.num_kv_heads >= size ? c.num_kv_heads % size != 0 : size % c.num_kv_heads != 0)
    return InvalidArgument("tp size {} and the {} KV heads: one must divide the other", size, c.num_kv_heads);
  if (c.intermediate_size % size != 0)
    return InvalidArgument("tp size {} does not divide the MLP intermediate size {}", size, c.intermediate_size);
  if (c.vocab_size % size != 0)
    return InvalidArgument("tp size {} does not divide the vocabulary size {}", size, c.vocab_size);
  return Status::Ok();
}

ShardLayout ShardLayout::Whole(const ModelConfig& c) {
  ShardLayout s;
  s.num_q_heads = c.num_heads;
  s.num_kv_heads = c.num_kv_heads;
  s.intermediate_size = c.intermediate_size;
  s.vocab_size = c.vocab_size;
  return s;
}

Result<ShardLayout> ShardLayout::Create(const ModelConfig& c, int rank, int size) {
  SGL_RETURN_IF_ERROR(Check(c, size));
  if (rank < 0 || rank >= size) return InvalidArgument("rank {} is outside [0, {})", rank, size);
  ShardLayout s;
  s.rank = rank;
  s.size = size;
  s.num_q_heads = c.num_heads / size;
  s.q_head_begin = rank * s.num_q_heads;
  if (c.num_kv_heads >= size) {
    s.num_kv_heads = c.num_kv_heads / size;
    s.kv_head_begin = rank * s.num_kv_heads;
  } else {
    // size / kv_heads consecutive ranks share (a copy of) one KV head; their q heads are
    // all in that head's group because num_heads / size divides the group size.
    s.num_kv_heads = 1;
    s.kv_head_begin = rank / (size / c.num_kv_heads);
  }
  s.intermediate_size = c.intermediate_size / size;
  s.intermediate_begin = rank * s.intermediate_size;
  s.vocab_size = c.vocab_size / size;
  s.vocab_begin = rank * s.vocab_size;
  return s;
}

}  // namespace sgl
