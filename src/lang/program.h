// Program: a frontend-language program, a C++ callable of a State& and arguments (SGLang's
// @sgl.function). Run() executes it once and returns its final State (errors inside it:
// State::status()); AsyncRun() does so on a thread of its own and returns the future
// State; RunBatch() runs it over many argument tuples on `num_threads` threads at once,
// so the backend batches their requests. Each takes optional SamplingOverrides for that
// run (SGLang's run(..., temperature=, max_new_tokens=)). Copyable; const methods may be
// called from many threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <optional>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "lang/fork_group.h"
#include "lang/sampling_overrides.h"
#include "lang/state.h"

namespace sgl::lang {

template <typename... Args>
class Program {
 public:
  using Fn = std::function<void(State&, Args...)>;
  explicit Program(Fn fn) : fn_(std::move(fn)) {}

  State Run(const RunOptions& options, Args... args) const {
    State s = State::Create(options);
    if (s.ok()) fn_(s, std::move(args)...);
    return s;
  }
  State Run(const RunOptions& options, const SamplingOverrides& overrides, Args... args) const {
    return Run(WithOverrides(options, overrides), std::move(args)...);
  }

  // Run() on a new thread. The backend (and its engine) must outlive the future's wait.
  std::future<State> AsyncRun(const RunOptions& options, Args... args) const {
    return std::async(std::launch::async, [program = *this, options, ... args = std::move(args)]() mutable {
      return program.Run(options, std::move(args)...);
    });
  }
  std::future<State> AsyncRun(const RunOptions& options, const SamplingOverrides& overrides, Args... args) const {
    return AsyncRun(WithOverrides(options, overrides), std::move(args)...);
  }

  // One State per argument tuple, in order. num_threads < 1 counts as 1. Streaming
  // (RunOptions::on_text) is not used for batch runs.
  std::vector<State> RunBatch(const RunOptions& options, const std::vector<std::tuple<Args...>>& batch,
                              int num_threads) const {
    RunOptions quiet = options;
    quiet.on_text = nullptr;
    std::vector<std::optional<State>> states(batch.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < batch.size(); i = next++)
        states[i] = std::apply([&](const Args&... args) { return Run(quiet, args...); }, batch[i]);
    };
    {
      std::vector<std::jthread> threads;
      const size_t n = std::clamp<size_t>(static_cast<size_t>(std::max(num_threads, 1)), 1, std::max<size_t>(batch.size(), 1));
      for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
    }
    std::vector<State> out;
    out.reserve(batch.size());
    for (std::optional<State>& s : states) out.push_back(std::move(*s));
    return out;
  }
  std::vector<State> RunBatch(const RunOptions& options, const SamplingOverrides& overrides,
                              const std::vector<std::tuple<Args...>>& batch, int num_threads) const {
    return RunBatch(WithOverrides(options, overrides), batch, num_threads);
  }

 private:
  Fn fn_;
};

}  // namespace sgl::lang
