#include "constrain/refinable_partition.h"

#include <utility>

namespace sgl::constrain {

RefinablePartition::RefinablePartition(std::span<const int32_t> keys, int32_t num_keys)
    : elements_(keys.size()), position_(keys.size()), set_of_(keys.size()) {
  std::vector<int32_t> count(num_keys + 1, 0), set_of_key(num_keys, -1);
  for (int32_t k : keys) ++count[k + 1];
  for (int32_t k = 0; k < num_keys; ++k) count[k + 1] += count[k];
  for (int32_t k = 0; k < num_keys; ++k) {
    if (count[k + 1] == count[k]) continue;
    set_of_key[k] = static_cast<int32_t>(begin_.size());
    begin_.push_back(count[k]);
    end_.push_back(count[k + 1]);
  }
  for (size_t e = 0; e < keys.size(); ++e) {
    int32_t at = count[keys[e]]++;
    elements_[at] = static_cast<int32_t>(e);
    position_[e] = at;
    set_of_[e] = set_of_key[keys[e]];
  }
  num_marked_.assign(begin_.size(), 0);
}

void RefinablePartition::Mark(int32_t element) {
  int32_t set = set_of_[element];
  int32_t boundary = begin_[set] + num_marked_[set];
  int32_t at = position_[element];
  if (at < boundary) return;
  std::swap(elements_[at], elements_[boundary]);
  position_[elements_[at]] = at;
  position_[element] = boundary;
  if (num_marked_[set]++ == 0) touched_.push_back(set);
}

void RefinablePartition::Split() {
  for (int32_t set : touched_) {
    int32_t boundary = begin_[set] + num_marked_[set];
    num_marked_[set] = 0;
    if (boundary == end_[set]) continue;
    int32_t fresh = num_sets();
    if (boundary - begin_[set] <= end_[set] - boundary) {  // the marked part is smaller
      begin_.push_back(begin_[set]);
      end_.push_back(boundary);
      begin_[set] = boundary;
    } else {
      begin_.push_back(boundary);
      end_.push_back(end_[set]);
      end_[set] = boundary;
    }
    num_marked_.push_back(0);
    for (int32_t i = begin_[fresh]; i < end_[fresh]; ++i) set_of_[elements_[i]] = fresh;
  }
  touched_.clear();
}

}  // namespace sgl::constrain
