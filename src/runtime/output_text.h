// OutputText: a request's output text as it grows, token by token: the incremental
// detokenizer's settled text, stop strings matched across token boundaries, and the part
// that may be streamed. Streaming holds back any suffix that could still grow into a stop
// string and never goes past a match; the final text is cut at the match (or just after
// it with no_stop_trim), so the streamed pieces, concatenated, equal text().
// Created by the Engine with the request; used on the scheduler thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sgl/sampling_params.h"
#include "tokenizer/incremental_detokenizer.h"

namespace sgl {

class OutputText {
 public:
  // REQUIRES: `tokenizer` outlives this object.
  OutputText(const Tokenizer& tokenizer, const SamplingParams& params);

  // Adds an output token's text. When `may_stop` (min_new_tokens are out), returns the
  // stop string this token completed, if any; a stop string that ended in text added
  // while !may_stop never matches. After a match, further tokens are ignored.
  std::optional<std::string> Append(int32_t token, bool may_stop);
  // The output is complete: the detokenizer's held-back text is added (unless a stop
  // string matched) and nothing is held for stop strings any more.
  void Finish();

  // Text that is settled and not yet taken; advances the taken mark.
  std::string TakeStreamable();
  // All text so far (the final text once finished), cut at a matched stop string.
  std::string text() const;
  bool matched() const { return cut_.has_value(); }

 private:
  // Bytes at the end of text_ that are a proper prefix of some stop string.
  size_t HeldForStopStrings() const;
  std::optional<std::string> FindStop();

  IncrementalDetokenizer detokenizer_;
  std::vector<std::string> stops_;  // non-empty stop strings
  bool no_stop_trim_;
  std::string text_;
  size_t searched_ = 0;  // a match must end after text_[0, searched_)
  size_t taken_ = 0;     // text_[0, taken_) was streamed
  std::optional<size_t> cut_;
  bool finished_ = false;
};

}  // namespace sgl
