// SchedulePolicy: the order in which waiting requests are admitted (--schedule-policy):
//   fcfs        arrival order (retracted requests first)
//   lpm         longest cached prefix first (more reuse, less prefill)
//   dfs-weight  depth-first over the prefix tree, heavier subtrees (more waiting
//               requests) first, so requests sharing a prefix run together
//   lof         longest output (max_new_tokens) first
//   random      shuffled
// As in SGLang, lpm and dfs-weight fall back to fcfs when the queue is very long.
// Runs on the scheduler thread.
#pragma once

#include <deque>
#include <memory>
#include <random>
#include <string_view>

#include "base/status.h"
#include "runtime/radix_cache.h"
#include "runtime/request.h"

namespace sgl {

enum class SchedulePolicy { kFcfs, kLpm, kDfsWeight, kLof, kRandom };

Result<SchedulePolicy> ParseSchedulePolicy(std::string_view name);

// Reorders `waiting` so that the request to admit first is at the front. `cache` may be
// null (radix cache disabled), which turns lpm and dfs-weight into fcfs.
void OrderWaitingQueue(SchedulePolicy policy, std::deque<std::shared_ptr<Request>>& waiting, RadixCache* cache,
                       std::mt19937_64& rng);

}  // namespace sgl
