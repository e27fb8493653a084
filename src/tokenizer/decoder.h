// Decoder: turns token strings back into text (HF tokenizers' decoders). Supported
// types: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, WordPiece, CTC,
// BPEDecoder, Sequence. In raw mode (for Tokenizer::TokenBytes) byte sequences are
// kept as they are instead of being made valid UTF-8, Strip is skipped and no token
// counts as the first one. Immutable; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const = 0;

  // null JSON => nullptr (tokens are joined with spaces). Unknown types => Unsupported.
  static Result<std::unique_ptr<Decoder>> FromJson(const nlohmann::json& config);
};

}  // namespace sgl::tokenizer
