// RefinablePartition: a partition of the elements [0, n) into numbered sets, refined by
// marking elements and then splitting every set that has marks into its marked and
// unmarked parts. The smaller part of a split gets the new set id, which is what keeps
// Hopcroft-style minimization at O(m log n). Members of a set are contiguous. A plain
// value; not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sgl::constrain {

class RefinablePartition {
 public:
  // Elements with equal keys start in one set; sets are numbered by first key in order.
  // REQUIRES: every key in [0, num_keys).
  RefinablePartition(std::span<const int32_t> keys, int32_t num_keys);

  int32_t num_sets() const { return static_cast<int32_t>(begin_.size()); }
  int32_t set_of(int32_t element) const { return set_of_[element]; }
  std::span<const int32_t> members(int32_t set) const {
    return {elements_.data() + begin_[set], elements_.data() + end_[set]};
  }
  // Marks `element` for the next Split (marking twice is harmless).
  void Mark(int32_t element);
  // Splits each set with marked elements (unless all of it is marked) and clears the marks.
  void Split();

 private:
  std::vector<int32_t> elements_;  // grouped by set
  std::vector<int32_t> position_;  // of each element in elements_
  std::vector<int32_t> set_of_;
  std::vector<int32_t> begin_, end_;  // each set's [begin, end) in elements_
  std::vector<int32_t> num_marked_;   // marked members sit at [begin, begin + num_marked)
  std::vector<int32_t> touched_;      // sets with marks
};

}  // namespace sgl::constrain
