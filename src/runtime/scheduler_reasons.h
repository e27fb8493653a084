// The FinishReasons the scheduler gives, in one place for its source files.
#pragma once

#include <string>

#include "sgl/engine.h"

namespace sgl {

inline FinishReason Aborted(std::string message) {
  FinishReason r;
  r.type = FinishReason::Type::kAbort;
  r.message = std::move(message);
  return r;
}
inline FinishReason LengthReached(int64_t length) {
  FinishReason r;
  r.type = FinishReason::Type::kLength;
  r.length = length;
  return r;
}
inline FinishReason StoppedByToken(int32_t token) {
  FinishReason r;
  r.type = FinishReason::Type::kStop;
  r.matched_token = token;
  return r;
}
inline FinishReason StoppedByString(std::string text) {
  FinishReason r;
  r.type = FinishReason::Type::kStop;
  r.matched_text = std::move(text);
  return r;
}

}  // namespace sgl
