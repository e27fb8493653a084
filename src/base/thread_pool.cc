#include "base/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SGL_CPU_RELAX() _mm_pause()
#else
#define SGL_CPU_RELAX() std::this_thread::yield()
#endif

namespace sgl {
namespace {
// About 50-100 us of spinning: long enough to bridge the gap between two ops of a model
// step, short enough not to burn a core while the pool is idle.
constexpr int kSpinIterations = 20000;
}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::Run(const Task& task) {
  const int n = size();
  if (n == 1) {
    task(0, 1);
    return;
  }
  task_ = &task;
  num_running_.store(n - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  task(0, n);
  // Spin briefly, then yield: when cores are oversubscribed (several processes), the
  // worker we wait for may need this core to finish.
  for (int spin = 0; num_running_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations) {
      SGL_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t num_grains = (n + grain - 1) / grain;
  const int threads = static_cast<int>(std::min<int64_t>(size(), num_grains));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  Run([&](int i, int) {
    if (i >= threads) return;
    const int64_t begin = std::min(n, (num_grains * i / threads) * grain);
    const int64_t end = std::min(n, (num_grains * (i + 1) / threads) * grain);
    if (begin < end) fn(begin, end);
  });
}

void ThreadPool::ParallelForDynamic(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  std::atomic<int64_t> next{0};
  Run([&](int, int) {
    for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < n; i = next.fetch_add(1, std::memory_order_relaxed))
      fn(i);
  });
}

void ThreadPool::WorkerLoop(int thread_index) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t now = generation_.load(std::memory_order_acquire);
    for (int spin = 0; now == seen && spin < kSpinIterations; ++spin) {
      SGL_CPU_RELAX();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = now;
    if (stopping_.load()) return;
    (*task_)(thread_index, size());
    num_running_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace sgl
