// Communicator: the collectives tensor-parallel ranks use, one object per rank. Every rank
// of a group must make the same calls in the same order with the same shapes; a call
// returns once this rank's part is done (on a device backend: enqueued on the rank's
// stream, in order with its ops). Not thread-safe: the rank's own thread calls it.
// Abort() may be called from any thread: every rank blocked in (or later entering) a
// collective returns an error instead of waiting for a rank that will never come.
#pragma once

#include <cstdint>
#include <span>

#include "backend/tensor.h"
#include "base/status.h"

namespace sgl {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // x = sum over ranks of x, in place; every rank gets the same values.
  virtual Status AllReduceSum(Tensor x) = 0;
  // out[:, r * x.cols : (r + 1) * x.cols] = rank r's x. REQUIRES: out is [x.rows, x.cols * size()].
  virtual Status AllGatherLastDim(const Tensor& x, Tensor out) = 0;
  // Returns when every rank has called it.
  virtual Status Barrier() = 0;
  // Every rank's `bytes` become root's. REQUIRES: the same size on every rank.
  virtual Status Broadcast(std::span<uint8_t> bytes, int root) = 0;
  // Fails this and every later collective of the group, on every rank (thread-safe).
  virtual void Abort() = 0;
};

}  // namespace sgl
