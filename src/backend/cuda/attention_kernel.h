// Paged attention on the GPU for any mix of prefill chunks and decodes: a tiled,
// FlashAttention-style kernel (online softmax over key tiles gathered through each
// sequence's page table; causal, GQA, sliding window, softcap) run over an
// AttentionPlan's items; the last block of a split item merges its partial results.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "backend/cuda/attention_plan.h"
#include "backend/forward_batch.h"

namespace sgl::cuda {

struct AttentionLaunch {
  // Device copies of the step's metadata and plan.
  const BatchSequence* sequences = nullptr;
  const int32_t* kv_slots = nullptr;
  const AttentionWorkItem* items = nullptr;
  int num_items = 0;
  const AttentionSplitGroup* split_groups = nullptr;
  int num_split_groups = 0;
  const AttentionTileItem* tile_items = nullptr;  // for the tensor-core kernel
  int num_tile_items = 0;
  // q and out: [num_tokens, num_q_heads * head_dim] bf16; caches [slots, kv_heads * head_dim].
  const uint16_t* q = nullptr;
  uint16_t* out = nullptr;
  const uint16_t* k_cache = nullptr;
  const uint16_t* v_cache = nullptr;
  float* partial_acc = nullptr;  // [partial rows, head_dim]
  float* partial_ml = nullptr;   // [partial rows, 2]: running max and sum
  int* split_counters = nullptr;  // [split groups * kv_heads], zero between launches
  int num_q_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  float scale = 1.0f;
  float softcap = 0.0f;
  int32_t sliding_window = 0;
  // > 0: every item is one token's group of decode_rows q heads (a decode step), run by
  // the decode kernel (see DecodeAttentionSupports).
  int decode_rows = 0;
  // Decode kernel only: > 1 when every item is one of this many splits of its item (a plan's
  // uniform_splits) and those splits run as one thread block cluster, merging through
  // distributed shared memory (no partial buffers, no counters; DecodeAttentionClusters).
  int cluster_splits = 0;
  // Decode kernel only: keys stream through shared memory (cp.async), many in flight, two
  // blocks a multiprocessor. REQUIRES: DecodeAttentionPipelines, cluster_splits <= 1.
  bool pipelined = false;
  // Decode items on the tensor cores instead (DecodeMmaAttentionSupports; no clusters).
  bool decode_mma = false;
  // Tensor-core kernel only: full attention within each sequence (vision encoders). Key j
  // of a sequence is its token token_begin + j, read from k_cache / v_cache as plain
  // [tokens, kv_heads * head_dim] rows (no page table, no prefix, no mask).
  bool bidirectional = false;
};

// Largest head_dim the kernel handles.
constexpr int kMaxAttentionHeadDim = 256;

// Whether the tensor-core kernel handles this head size (a multiple of 16, at most 256).
inline bool TensorCoreAttentionSupports(int head_dim) { return head_dim % 16 == 0 && head_dim <= 256; }

// The tile items' part of LaunchAttention (attention_tc_kernel.cu): the mma.sync kernel
// (attention_mma_kernel.cu) for the head sizes it handles, the WMMA kernel otherwise.
cudaError_t LaunchTensorCoreAttention(const AttentionLaunch& a, cudaStream_t stream);
cudaError_t PrepareTensorCoreAttention();
bool MmaAttentionSupports(int head_dim);
cudaError_t LaunchMmaAttention(const AttentionLaunch& a, cudaStream_t stream);
cudaError_t PrepareMmaAttention();

// The decode kernel (decode_attention_kernel.cu): whether it handles items of `rows` q
// heads of `head_dim`, and its launch (LaunchAttention calls it when decode_rows > 0).
bool DecodeAttentionSupports(int head_dim, int rows);
cudaError_t LaunchDecodeAttention(const AttentionLaunch& a, cudaStream_t stream);
// The tensor-core decode kernel (decode_attention_mma_kernel.cu): whether it takes items of
// `rows` q heads of `head_dim`, and its launch (LaunchAttention calls it when decode_mma).
bool DecodeMmaAttentionSupports(int head_dim, int rows);
cudaError_t LaunchDecodeMmaAttention(const AttentionLaunch& a, cudaStream_t stream);
// Whether the decode kernel for items of `rows` q heads of `head_dim` has a pipelined form.
bool DecodeAttentionPipelines(int head_dim, int rows);
// How many clusters of `splits` decode blocks (items of `rows` q heads of `head_dim`) the
// device runs at once; 0 when it cannot run them (more than 16 splits, or no room).
int DecodeAttentionClusters(int head_dim, int rows, int splits);

// Raises the kernels' shared-memory limit on the current device; call once per device
// before the first launch.
cudaError_t PrepareAttentionKernels();

// REQUIRES: 0 < head_dim <= kMaxAttentionHeadDim; PrepareAttentionKernels() was called.
cudaError_t LaunchAttention(const AttentionLaunch& a, cudaStream_t stream);

}  // namespace sgl::cuda
