// TextChannel: hands streamed text from the engine's scheduler thread (Push, Close) to the
// thread running the program (Drain), so a slow user callback never stalls the scheduler.
// One producer, one consumer.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace sgl::lang {

class TextChannel {
 public:
  void Push(std::string text);
  void Close();
  // Calls on_text with every piece until Close(), on the calling thread.
  void Drain(const std::function<void(std::string_view)>& on_text);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pieces_;  // GUARDED_BY(mu_)
  bool closed_ = false;             // GUARDED_BY(mu_)
};

}  // namespace sgl::lang
