// ForwardWorker: runs the model's forward passes on a thread of its own, one at a time,
// so that the scheduler can build the next step (and process the last one's results)
// while this one runs on the device: SGLang's overlap scheduling. The model is used by
// this thread alone from the first Start on; batch and output belong to the caller and
// are touched by the worker only between Start and the end of the matching Wait.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "model/model.h"

namespace sgl {

class ForwardWorker {
 public:
  explicit ForwardWorker(Model& model);
  // Waits for the pass in flight, if any.
  ~ForwardWorker();
  ForwardWorker(const ForwardWorker&) = delete;
  ForwardWorker& operator=(const ForwardWorker&) = delete;

  // Starts model.Forward(batch, out). REQUIRES: no pass in flight (Wait returned).
  void Start(const ForwardBatch& batch, ForwardOutput* out);
  // Waits for the pass Start began and returns its status.
  Status Wait();

 private:
  void Loop();

  Model& model_;
  std::mutex mu_;  // guards the fields below
  std::condition_variable wake_;
  const ForwardBatch* batch_ = nullptr;  // set while a pass is asked for or running
  ForwardOutput* out_ = nullptr;
  bool done_ = false;
  bool stopping_ = false;
  Status status_;
  std::thread thread_;  // last: starts once the fields above exist
};

}  // namespace sgl
