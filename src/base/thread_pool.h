// ThreadPool: a fixed team of threads for data-parallel kernels. Run() hands one task to
// every thread (the caller is thread 0) and returns when all have finished; workers spin
// briefly between tasks (model steps issue many small ops back to back) and then sleep.
// Run() must be called from one thread at a time (the thread that owns the pool).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace sgl {

class ThreadPool {
 public:
  using Task = std::function<void(int thread_index, int num_threads)>;

  // num_threads >= 1 counts the caller; 0 means one per hardware thread.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i, size()) for every i in [0, size()); returns when all calls returned.
  void Run(const Task& task);

  // Splits [0, n) into contiguous chunks, one per thread, and calls fn(begin, end) for
  // each non-empty chunk. Chunk edges are multiples of `grain` (except the last).
  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

  // Calls fn(i) for every i in [0, n); threads take the next unclaimed i as they finish,
  // so items of very different cost balance (put the costliest first).
  void ParallelForDynamic(int64_t n, const std::function<void(int64_t i)>& fn);

 private:
  void WorkerLoop(int thread_index);

  std::vector<std::thread> workers_;
  const Task* task_ = nullptr;            // written by Run before publishing generation_
  std::atomic<uint32_t> generation_{0};   // bumped once per Run; workers wait on it
  std::atomic<int> num_running_{0};       // workers still inside the current task
  std::atomic<bool> stopping_{false};
};

}  // namespace sgl
