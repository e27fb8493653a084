#include "runtime/schedule_policy.h"

#include <algorithm>
#include <map>

namespace sgl {
namespace {

// Past this many waiting requests, prefix-aware ordering costs more than it saves.
constexpr size_t kMaxPrefixAwareQueue = 128;

using Queue = std::deque<std::shared_ptr<Request>>;

RadixCache::Match MatchOf(RadixCache& cache, const Request& r) {
  return cache.MatchPrefix(r.Tokens(0, r.num_tokens() - 1));
}

void OrderByLongestPrefix(Queue& waiting, RadixCache& cache) {
  std::vector<std::pair<size_t, std::shared_ptr<Request>>> keyed;
  for (auto& r : waiting) keyed.push_back({MatchOf(cache, *r).slots.size(), r});
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < keyed.size(); ++i) waiting[i] = keyed[i].second;
}

void OrderByDfsWeight(Queue& waiting, RadixCache& cache) {
  // Each request hangs at the deepest node matching its prefix; a node weighs the number
  // of requests in its subtree.
  std::map<const RadixCache::Node*, std::vector<std::shared_ptr<Request>>> at_node;
  std::map<const RadixCache::Node*, int> weight;
  const RadixCache::Node* root = nullptr;
  for (auto& r : waiting) {
    const RadixCache::Node* node = MatchOf(cache, *r).last_node;
    at_node[node].push_back(r);
    for (; node != nullptr; node = node->parent) {
      ++weight[node];
      root = node;
    }
  }
  waiting.clear();
  std::vector<const RadixCache::Node*> stack = {root};
  while (!stack.empty()) {
    const RadixCache::Node* node = stack.back();
    stack.pop_back();
    for (auto& r : at_node[node]) waiting.push_back(r);
    std::vector<const RadixCache::Node*> children;
    for (const auto& [page, child] : node->children)
      if (weight.count(child.get())) children.push_back(child.get());
    // Lightest pushed first so the heaviest is visited next.
    std::stable_sort(children.begin(), children.end(), [&](auto a, auto b) { return weight[a] < weight[b]; });
    for (auto child : children) stack.push_back(child);
  }
}

}  // namespace

Result<SchedulePolicy> ParseSchedulePolicy(std::string_view name) {
  if (name == "fcfs") return SchedulePolicy::kFcfs;
  if (name == "lpm") return SchedulePolicy::kLpm;
  if (name == "dfs-weight") return SchedulePolicy::kDfsWeight;
  if (name == "lof") return SchedulePolicy::kLof;
  if (name == "random") return SchedulePolicy::kRandom;
  return InvalidArgument("unknown schedule policy '{}' (fcfs, lpm, dfs-weight, lof, random)", name);
}

void OrderWaitingQueue(SchedulePolicy policy, Queue& waiting, RadixCache* cache, std::mt19937_64& rng) {
  if (waiting.size() < 2) return;
  const bool prefix_aware = policy == SchedulePolicy::kLpm || policy == SchedulePolicy::kDfsWeight;
  if (prefix_aware && (cache == nullptr || waiting.size() > kMaxPrefixAwareQueue)) return;  // fcfs
  switch (policy) {
    case SchedulePolicy::kFcfs:
      return;
    case SchedulePolicy::kLpm:
      return OrderByLongestPrefix(waiting, *cache);
    case SchedulePolicy::kDfsWeight:
      return OrderByDfsWeight(waiting, *cache);
    case SchedulePolicy::kLof:
      std::stable_sort(waiting.begin(), waiting.end(),
                       [](const auto& a, const auto& b) { return a->params.max_new_tokens > b->params.max_new_tokens; });
      return;
    case SchedulePolicy::kRandom:
      std::shuffle(waiting.begin(), waiting.end(), rng);
      return;
  }
}

}  // namespace sgl
