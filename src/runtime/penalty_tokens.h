// PenaltyTokens: what a request's penalties look at, kept up to date as its tokens grow:
// the distinct ids of its prompt and output (repetition penalty) and how often each id
// occurs in its output (frequency and presence penalties), both sorted by id. Update costs
// O(new tokens) while the output only grows; when the output shrank or changed (a
// rollback), it starts over from the whole sequence. A plain value owned by its Request;
// the scheduler thread alone uses it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sgl {

class PenaltyTokens {
 public:
  struct Count {
    int32_t token;
    int32_t count;
  };

  // Brings the sets up to `prompt` and `output` (the request's tokens so far).
  void Update(std::span<const int32_t> prompt, std::span<const int32_t> output);

  std::span<const int32_t> seen() const { return seen_; }            // prompt and output ids
  std::span<const Count> output_counts() const { return counts_; }  // output ids only

 private:
  void Reset();
  void AddSeen(int32_t token);
  void AddOutput(int32_t token);

  std::vector<int32_t> seen_;  // sorted, distinct
  std::vector<Count> counts_;  // sorted by token
  size_t num_prompt_tokens_ = 0, num_output_tokens_ = 0;  // absorbed so far
  int32_t last_output_token_ = 0;  // output[num_output_tokens_ - 1] when absorbed
  bool absorbed_ = false;
};

}  // namespace sgl
