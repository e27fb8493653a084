// AttendRows: the inner kernel of CPU attention. Up to kMaxAttendRows query rows (e.g.
// the q heads that share one KV head, times a few consecutive tokens) attend over the
// same gathered keys/values, so each key and value vector is loaded once for all rows.
// Row r sees keys [first[r], last[r]] (indices into keys/values). Pure; thread-safe.
#pragma once

#include <cstdint>

namespace sgl::cpu {

constexpr int kMaxAttendRows = 16;
constexpr int kMaxAttendHeadDim = 512;

struct AttendArgs {
  int num_rows = 0;                    // <= kMaxAttendRows
  const float* queries[kMaxAttendRows];
  float* outputs[kMaxAttendRows];
  int32_t first[kMaxAttendRows];       // visible keys of row r: [first[r], last[r]]
  int32_t last[kMaxAttendRows];
  const float* const* keys = nullptr;  // [num_keys] pointers to head_dim floats
  const float* const* values = nullptr;
  int32_t num_keys = 0;
  int head_dim = 0;                    // <= kMaxAttendHeadDim
  float scale = 1.0f;
  float softcap = 0.0f;
  float* scores = nullptr;             // scratch: kMaxAttendRows * num_keys floats
};

void AttendRows(const AttendArgs& args);

}  // namespace sgl::cpu
