// The rows of several GemvJobs laid end to end, as the skinny-matmul kernels take them:
// job j owns rows [first_row[j], first_row[j + 1]); which job a row is in, and the store of
// an output element. Device code only.
#pragma once

#include <cstdint>

#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/gemv_kernel.h"

namespace sgl::cuda {

// The job that owns `row`. P: kernel parameters with first_row[] and num_jobs.
template <typename P>
__device__ __forceinline__ int JobOfRow(const P& p, int64_t row) {
  int j = 0;
  while (j + 1 < p.num_jobs && row >= p.first_row[j + 1]) ++j;
  return j;
}

// One output element: activation row m, row `row` of all the jobs.
struct JobElement {
  const GemvJob* job;
  int64_t n;       // the row within its job
  int64_t offset;  // in the job's output, [m, job.n]
};

template <typename P>
__device__ __forceinline__ JobElement ElementOf(const P& p, int m, int64_t row) {
  const int j = JobOfRow(p, row);
  const int64_t n = row - p.first_row[j];
  return {&p.jobs[j], n, m * p.jobs[j].n + n};
}

// Stores sum + the job's bias as the job's output type; returns the bf16 stored (0 into a
// float output), for an epilogue at the same element.
__device__ __forceinline__ uint16_t StoreElement(const JobElement& e, float sum) {
  if (e.job->bias != nullptr) sum += e.job->bias[e.n];
  if (e.job->out_f32) {
    static_cast<float*>(e.job->out)[e.offset] = sum;
    return 0;
  }
  const uint16_t out = FloatToBf16(sum);
  static_cast<uint16_t*>(e.job->out)[e.offset] = out;
  return out;
}

// A gated product's output element (activation row m, row `row` of job, [m, job.n] bf16):
// act(gate) * up, each sum rounded to bf16 first (act: 0 SiLU, 1 GELU tanh).
__device__ __forceinline__ void StoreGated(const GemvJob& job, int m, int64_t row, float gate, float up, int act) {
  static_cast<uint16_t*>(job.out)[m * job.n + row] = GatedValue(FloatToBf16(gate), FloatToBf16(up), act);
}

}  // namespace sgl::cuda
