#include "parallel/shared_memory_communicator.h"

#include <algorithm>
#include <cstring>

namespace sgl {

std::vector<std::unique_ptr<Communicator>> SharedMemoryCommunicator::CreateGroup(int size) {
  auto rendezvous = std::make_shared<Rendezvous>(size);
  std::vector<std::unique_ptr<Communicator>> group;
  for (int r = 0; r < size; ++r) group.push_back(std::make_unique<SharedMemoryCommunicator>(rendezvous, r));
  return group;
}

SharedMemoryCommunicator::SharedMemoryCommunicator(std::shared_ptr<Rendezvous> rendezvous, int rank)
    : rendezvous_(std::move(rendezvous)), rank_(rank) {}

Status SharedMemoryCommunicator::Exchange(void* data, size_t bytes, const char* what) {
  SGL_RETURN_IF_ERROR(rendezvous_->Arrive(rank_, {data, bytes}, &posts_));
  for (int r = 0; r < size(); ++r) {
    if (posts_[r].bytes == bytes) continue;
    // Leave the round together so nobody reads a buffer another rank already dropped.
    SGL_RETURN_IF_ERROR(rendezvous_->Arrive(rank_));
    return InvalidArgument("{}: rank {} has {} bytes, rank {} has {}", what, rank_, bytes, r, posts_[r].bytes);
  }
  return Status::Ok();
}

Status SharedMemoryCommunicator::AllReduceSum(Tensor x) {
  if (x.dtype != DType::kF32) return InvalidArgument("AllReduceSum: shared memory sums float32, got {}", Name(x.dtype));
  const int64_t n = x.rows * x.cols;
  SGL_RETURN_IF_ERROR(Exchange(x.data, static_cast<size_t>(n) * sizeof(float), "AllReduceSum"));
  // Rank r sums elements [begin, end) of every buffer, then writes them back to all.
  const int64_t per_rank = (n + size() - 1) / size();
  const int64_t begin = std::min(n, per_rank * rank_), end = std::min(n, begin + per_rank);
  partial_.assign(static_cast<size_t>(end - begin), 0.0f);
  for (int r = 0; r < size(); ++r) {
    const float* src = static_cast<const float*>(posts_[r].data);
    for (int64_t i = begin; i < end; ++i) partial_[i - begin] += src[i];
  }
  SGL_RETURN_IF_ERROR(rendezvous_->Arrive(rank_));  // every rank has read every buffer
  for (int r = 0; r < size(); ++r)
    std::copy(partial_.begin(), partial_.end(), static_cast<float*>(posts_[r].data) + begin);
  return rendezvous_->Arrive(rank_);  // every buffer is complete
}

Status SharedMemoryCommunicator::AllGatherLastDim(const Tensor& x, Tensor out) {
  if (x.dtype != out.dtype || out.rows != x.rows || out.cols != x.cols * size())
    return InvalidArgument("AllGatherLastDim: out is [{}, {}] {}, expected [{}, {}] {}", out.rows, out.cols,
                           Name(out.dtype), x.rows, x.cols * size(), Name(x.dtype));
  SGL_RETURN_IF_ERROR(Exchange(x.data, x.NumBytes(), "AllGatherLastDim"));
  const size_t row_bytes = x.RowBytes();
  for (int r = 0; r < size(); ++r) {
    const auto* src = static_cast<const uint8_t*>(posts_[r].data);
    for (int64_t row = 0; row < x.rows; ++row)
      std::memcpy(out.Rows(row, 1).As<uint8_t>() + r * row_bytes, src + row * row_bytes, row_bytes);
  }
  return rendezvous_->Arrive(rank_);  // nobody changes x while another rank copies it
}

Status SharedMemoryCommunicator::Barrier() { return rendezvous_->Arrive(rank_); }

Status SharedMemoryCommunicator::Broadcast(std::span<uint8_t> bytes, int root) {
  if (root < 0 || root >= size()) return InvalidArgument("Broadcast: root {} is outside [0, {})", root, size());
  SGL_RETURN_IF_ERROR(Exchange(bytes.data(), bytes.size(), "Broadcast"));
  if (rank_ != root && !bytes.empty()) std::memcpy(bytes.data(), posts_[root].data, bytes.size());
  return rendezvous_->Arrive(rank_);
}

}  // namespace sgl
