// EncoderCache: vision-encoder outputs by image hash, least recently used evicted first
// within a byte budget. Rows are shared (shared_ptr to const), so a batch still holding an
// image's rows keeps them alive after the cache lets go. Not thread-safe: owned and used
// by one thread (the engine's image encoder thread).
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "multimodal/image_hash.h"

namespace sgl::multimodal {

class EncoderCache {
 public:
  using Rows = std::shared_ptr<const std::vector<float>>;

  explicit EncoderCache(size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}
  EncoderCache(const EncoderCache&) = delete;
  EncoderCache& operator=(const EncoderCache&) = delete;

  // The cached rows of `hash` (now the most recently used), or nullptr.
  Rows Find(const ImageHash& hash);
  // Stores `rows` under `hash` (replacing an older entry), evicting the least recently used
  // until it fits. Rows larger than the whole budget are not kept.
  void Insert(const ImageHash& hash, Rows rows);

  size_t num_entries() const { return index_.size(); }
  size_t size_bytes() const { return size_bytes_; }
  size_t capacity_bytes() const { return capacity_bytes_; }
  // size_bytes == the entries' bytes <= capacity, and the recency list and index agree.
  Status CheckInvariants() const;

 private:
  struct Entry {
    ImageHash hash;
    Rows rows;
  };
  static size_t BytesOf(const Rows& rows) { return rows ? rows->size() * sizeof(float) : 0; }
  void Erase(std::list<Entry>::iterator it);

  size_t capacity_bytes_;
  size_t size_bytes_ = 0;
  std::list<Entry> recency_;  // front: most recently used
  std::unordered_map<ImageHash, std::list<Entry>::iterator> index_;
};

}  // namespace sgl::multimodal
