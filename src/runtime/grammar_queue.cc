#include "runtime/grammar_queue.h"

#include <chrono>

namespace sgl {

GrammarQueue::GrammarQueue(VocabularyFactory make_vocab, int num_threads) : make_vocab_(std::move(make_vocab)) {
  for (int i = 0; i < std::max(1, num_threads); ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

GrammarQueue::~GrammarQueue() {
  std::deque<Job> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    left.swap(jobs_);
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
  for (Job& job : left) job.done(Status(StatusCode::kInternal, "the engine is shutting down"));
}

void GrammarQueue::Enqueue(constrain::GrammarSpec spec, Callback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back({std::move(spec), std::move(done)});
  }
  wake_.notify_one();
}

void GrammarQueue::WorkerLoop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.done(Prepare(job.spec));
  }
}

constrain::GrammarCompiler& GrammarQueue::compiler() {
  std::call_once(compiler_once_, [&] { compiler_ = std::make_unique<constrain::GrammarCompiler>(make_vocab_()); });
  return *compiler_;
}

Result<PreparedGrammar> GrammarQueue::Prepare(const constrain::GrammarSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  constrain::GrammarCompiler::Outcome outcome = compiler().CompileWithOutcome(spec);
  SGL_RETURN_IF_ERROR(outcome.grammar.status());
  PreparedGrammar prepared;
  prepared.matcher = std::make_unique<constrain::GrammarMatcher>(std::move(*outcome.grammar));
  prepared.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  prepared.cache_hit = outcome.cache_hit;
  return prepared;
}

}  // namespace sgl
