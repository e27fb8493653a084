#include "lang/text_channel.h"

namespace sgl::lang {

void TextChannel::Push(std::string text) {
  {
    std::lock_guard lock(mu_);
    pieces_.push_back(std::move(text));
  }
  cv_.notify_one();
}

void TextChannel::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_one();
}

void TextChannel::Drain(const std::function<void(std::string_view)>& on_text) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return closed_ || !pieces_.empty(); });
    while (!pieces_.empty()) {
      std::string piece = std::move(pieces_.front());
      pieces_.pop_front();
      lock.unlock();
      if (on_text) on_text(piece);
      lock.lock();
    }
    if (closed_) return;
  }
}

}  // namespace sgl::lang
