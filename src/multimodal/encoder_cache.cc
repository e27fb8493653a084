#include "multimodal/encoder_cache.h"

namespace sgl::multimodal {

EncoderCache::Rows EncoderCache::Find(const ImageHash& hash) {
  auto it = index_.find(hash);
  if (it == index_.end()) return nullptr;
  recency_.splice(recency_.begin(), recency_, it->second);
  return it->second->rows;
}

void EncoderCache::Insert(const ImageHash& hash, Rows rows) {
  if (auto it = index_.find(hash); it != index_.end()) Erase(it->second);
  const size_t bytes = BytesOf(rows);
  if (rows == nullptr || bytes > capacity_bytes_) return;
  while (size_bytes_ + bytes > capacity_bytes_) Erase(std::prev(recency_.end()));
  recency_.push_front({hash, std::move(rows)});
  index_[hash] = recency_.begin();
  size_bytes_ += bytes;
}

void EncoderCache::Erase(std::list<Entry>::iterator it) {
  size_bytes_ -= BytesOf(it->rows);
  index_.erase(it->hash);
  recency_.erase(it);
}

Status EncoderCache::CheckInvariants() const {
  size_t bytes = 0;
  for (auto it = recency_.begin(); it != recency_.end(); ++it) {
    bytes += BytesOf(it->rows);
    auto found = index_.find(it->hash);
    if (found == index_.end() || found->second != it) return Corrupt("encoder cache: index misses an entry");
  }
  if (index_.size() != recency_.size()) return Corrupt("encoder cache: index has stale entries");
  if (bytes != size_bytes_) return Corrupt("encoder cache: {} bytes counted, {} recorded", bytes, size_bytes_);
  if (size_bytes_ > capacity_bytes_) return Corrupt("encoder cache: {} bytes over capacity {}", size_bytes_, capacity_bytes_);
  return Status::Ok();
}

}  // namespace sgl::multimodal
