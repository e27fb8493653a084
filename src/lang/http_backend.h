// HttpBackend: the frontend language against a server speaking SGLang's native API
// (`sgl serve` or a Python SGLang server), making the calls SGLang's own RuntimeEndpoint
// makes: GET /get_model_info once, then POST /generate (streamed as server-sent events
// when the program streams). Thread-safe: each call uses its own connection.
#pragma once

#include <memory>
#include <string>

#include "lang/backend.h"
#include "lang/http_client.h"

namespace sgl::lang {

class HttpBackend : public Backend {
 public:
  // Asks the server for its model; fails when it cannot be reached or answers badly.
  static Result<std::unique_ptr<HttpBackend>> Connect(const std::string& base_url, const std::string& api_key = "");

  std::string model_path() const override { return model_path_; }
  Result<GenOutput> Generate(const Prompt& prompt, const SamplingParams& sampling, const TextCallback& on_text) override;
  Result<int64_t> Prefill(const Prompt& prompt) override;
  Result<std::vector<std::vector<PromptTokenLogprob>>> PromptLogprobs(const std::vector<std::string>& texts,
                                                                      const std::vector<std::string>& images_base64,
                                                                      int64_t logprob_start_len) override;
  // POST /flush_cache (fails while requests are in flight, as the server says).
  Status FlushCache();

 private:
  HttpBackend(HttpClient client, std::string model_path) : client_(std::move(client)), model_path_(std::move(model_path)) {}

  HttpClient client_;
  std::string model_path_;
};

}  // namespace sgl::lang
