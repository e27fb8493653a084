#include "parallel/rendezvous.h"

namespace sgl {
namespace {
Status AbortedError() { return Status(StatusCode::kInternal, "tensor-parallel group aborted (a rank failed or is shutting down)"); }
}  // namespace

Rendezvous::Rendezvous(int size) : size_(size), posted_{std::vector<Post>(size), std::vector<Post>(size)} {}

Status Rendezvous::Arrive(int rank, Post mine, std::vector<Post>* all) {
  std::unique_lock<std::mutex> lock(mu_);
  if (aborted_) return AbortedError();
  const uint64_t round = generation_;
  posted_[round % 2][rank] = mine;
  if (++num_arrived_ == size_) {
    num_arrived_ = 0;
    ++generation_;
    if (all != nullptr) *all = posted_[round % 2];
    lock.unlock();
    all_arrived_.notify_all();
    return Status::Ok();
  }
  all_arrived_.wait(lock, [&] { return generation_ != round || aborted_; });
  if (generation_ == round) return AbortedError();
  if (all != nullptr) *all = posted_[round % 2];
  return Status::Ok();
}

void Rendezvous::Abort() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
  }
  all_arrived_.notify_all();
}

bool Rendezvous::aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

}  // namespace sgl
