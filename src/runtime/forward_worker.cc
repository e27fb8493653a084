#include "runtime/forward_worker.h"

namespace sgl {

ForwardWorker::ForwardWorker(Model& model) : model_(model), thread_([this] { Loop(); }) {}

ForwardWorker::~ForwardWorker() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return batch_ == nullptr || done_; });
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ForwardWorker::Start(const ForwardBatch& batch, ForwardOutput* out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch_ = &batch;
    out_ = out;
    done_ = false;
  }
  wake_.notify_all();
}

Status ForwardWorker::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait(lock, [&] { return done_; });
  batch_ = nullptr;
  out_ = nullptr;
  done_ = false;
  return std::move(status_);
}

void ForwardWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || (batch_ != nullptr && !done_); });
    if (stopping_) return;
    const ForwardBatch* batch = batch_;
    ForwardOutput* out = out_;
    lock.unlock();
    Status status = model_.Forward(*batch, out);
    lock.lock();
    status_ = std::move(status);
    done_ = true;
    wake_.notify_all();
  }
}

}  // namespace sgl
