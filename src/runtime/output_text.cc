#include "runtime/output_text.h"

#include <algorithm>

namespace sgl {

OutputText::OutputText(const Tokenizer& tokenizer, const SamplingParams& params)
    : detokenizer_(tokenizer, params.skip_special_tokens), no_stop_trim_(params.no_stop_trim) {
  for (const std::string& s : params.stop)
    if (!s.empty()) stops_.push_back(s);
}

std::optional<std::string> OutputText::Append(int32_t token, bool may_stop) {
  if (cut_ || finished_) return std::nullopt;
  text_ += detokenizer_.Append(token);
  if (!may_stop) {
    searched_ = text_.size();
    return std::nullopt;
  }
  return FindStop();
}

std::optional<std::string> OutputText::FindStop() {
  // The earliest match ending in the new text; on a tie, the first stop string listed.
  std::optional<size_t> best_pos;
  const std::string* best = nullptr;
  for (const std::string& stop : stops_) {
    const size_t from = searched_ >= stop.size() ? searched_ - stop.size() + 1 : 0;
    const size_t pos = text_.find(stop, from);
    if (pos == std::string::npos || (best_pos && pos >= *best_pos)) continue;
    best_pos = pos;
    best = &stop;
  }
  searched_ = text_.size();
  if (!best) return std::nullopt;
  cut_ = no_stop_trim_ ? *best_pos + best->size() : *best_pos;
  return *best;
}

void OutputText::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!cut_) text_ += detokenizer_.Finish();
}

size_t OutputText::HeldForStopStrings() const {
  size_t held = 0;
  for (const std::string& stop : stops_) {
    const size_t longest = std::min(stop.size() - 1, text_.size());
    for (size_t len = longest; len > held; --len) {
      if (text_.compare(text_.size() - len, len, stop, 0, len) == 0) {
        held = len;
        break;
      }
    }
  }
  return held;
}

std::string OutputText::TakeStreamable() {
  size_t end = text_.size();
  if (cut_) {
    end = *cut_;
  } else if (!finished_) {
    end -= HeldForStopStrings();
  }
  if (end <= taken_) return {};
  std::string out = text_.substr(taken_, end - taken_);
  taken_ = end;
  return out;
}

std::string OutputText::text() const { return cut_ ? text_.substr(0, *cut_) : text_; }

}  // namespace sgl
