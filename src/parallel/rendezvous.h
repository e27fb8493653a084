// Rendezvous: the meeting point of `size` threads (the ranks of a SharedMemoryCommunicator
// group). Arrive() is a reusable barrier that also exchanges one (pointer, size) post per
// rank: each rank gets every rank's post of the round. Posts alternate between two tables
// by round parity, so a rank already in the next round never overwrites what a slower one
// is still reading. Abort() wakes all waiters and makes every later Arrive() fail.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "base/status.h"

namespace sgl {

// What one rank shows the others in a round.
struct RendezvousPost {
  void* data = nullptr;
  size_t bytes = 0;
};

class Rendezvous {
 public:
  using Post = RendezvousPost;

  explicit Rendezvous(int size);
  Rendezvous(const Rendezvous&) = delete;
  Rendezvous& operator=(const Rendezvous&) = delete;

  int size() const { return size_; }
  // Posts `mine` as `rank`'s, waits for every rank to arrive and, when `all` is given,
  // fills it with the round's posts (index = rank). REQUIRES: 0 <= rank < size(); one
  // call per rank per round.
  Status Arrive(int rank, Post mine = {}, std::vector<Post>* all = nullptr);

  void Abort();
  bool aborted() const;

 private:
  const int size_;
  mutable std::mutex mu_;
  std::condition_variable all_arrived_;
  int num_arrived_ = 0;     // guarded by mu_
  uint64_t generation_ = 0; // guarded by mu_; counts completed rounds
  bool aborted_ = false;    // guarded by mu_
  std::vector<Post> posted_[2];  // guarded by mu_; table generation_ % 2 is being filled
};

}  // namespace sgl
