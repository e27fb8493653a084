// Spans and behaviors, as HF's NormalizedString::split.
#include "tokenizer/split_pieces.h"

#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

struct Span {
  size_t begin, end;
  bool is_match;
};

// Spans covering [0, size) from the [begin, end) matches.
std::vector<Span> CoverWithSpans(size_t size, const std::vector<std::pair<size_t, size_t>>& matches, bool invert) {
  std::vector<Span> spans;
  size_t last = 0;
  for (const auto& [begin, end] : matches) {
    if (begin > last) spans.push_back({last, begin, invert});
    spans.push_back({begin, end, !invert});
    last = end;
  }
  if (last < size) spans.push_back({last, size, invert});
  return spans;
}

std::vector<Span> ApplyBehavior(std::vector<Span> spans, SplitBehavior behavior) {
  std::vector<Span> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      return spans;
    case SplitBehavior::kRemoved:
      for (const Span& s : spans)
        if (!s.is_match) out.push_back(s);
      return out;
    case SplitBehavior::kMergedWithPrevious:
      for (const Span& s : spans) {
        if (s.is_match && !previous_match && !out.empty()) {
          out.back().end = s.end;
        } else {
          out.push_back(s);
        }
        previous_match = s.is_match;
      }
      return out;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) {
          out.back().begin = it->begin;
        } else {
          out.push_back(*it);
        }
        previous_match = it->is_match;
      }
      return {out.rbegin(), out.rend()};
    case SplitBehavior::kContiguous:
      for (const Span& s : spans) {
        if (s.is_match == previous_match && !out.empty()) {
          out.back().end = s.end;
        } else {
          out.push_back(s);
        }
        previous_match = s.is_match;
      }
      return out;
  }
  return spans;
}

}  // namespace

void SplitPieces(std::vector<PreToken>& pieces, SplitBehavior behavior, bool invert, const FindMatches& find) {
  std::vector<PreToken> out;
  for (PreToken& piece : pieces) {
    const auto spans = ApplyBehavior(CoverWithSpans(piece.text.size(), find(piece.text), invert), behavior);
    for (const Span& s : spans) {
      if (s.end > s.begin) out.push_back({piece.text.substr(s.begin, s.end - s.begin), piece.at_start && s.begin == 0});
    }
  }
  pieces = std::move(out);
}

Result<SplitBehavior> ParseBehavior(const std::string& name) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return InvalidArgument("unknown split behavior '{}'", name);
}


std::vector<std::pair<size_t, size_t>> MatchChars(std::string_view text, const std::function<bool(char32_t)>& is_match) {
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t pos = 0; pos < text.size();) {
    const CodePoint cp = DecodeUtf8(text, pos);
    if (is_match(cp.value)) matches.emplace_back(pos, pos + cp.len);
    pos += cp.len;
  }
  return matches;
}

}  // namespace sgl::tokenizer
