#include "format/hf_checkpoint.h"

#include <filesystem>
#include <set>
#include <string_view>

#include "base/mapped_file.h"
#include "format/json_document.h"

namespace sgl {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kConfigFile = "config.json";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kSingleFile = "model.safetensors";

std::string JoinPath(const std::string& dir, const std::string& file) { return (fs::path(dir) / file).string(); }

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// Reads and parses a JSON file that must hold an object.
Result<Json> ReadJsonObject(const std::string& path) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  const std::string_view text(reinterpret_cast<const char*>(file->data()), file->size());
  Result<Json> json = ParseJsonDocument(text);
  if (!json.ok()) return json.status().WithContext(path);
  if (!json->is_object()) return Corrupt("{}: not a JSON object", path);
  return std::move(json).value();
}

// A shard must be a plain file name inside the checkpoint folder.
bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

// tensor name -> shard file name, validated.
Result<std::map<std::string, std::string>> ReadWeightMap(const std::string& index_path) {
  SGL_ASSIGN_OR_RETURN(Json index, ReadJsonObject(index_path));
  auto it = index.find("weight_map");
  if (it == index.end() || !it->is_object()) return Corrupt("{}: no \"weight_map\" object", index_path);
  std::map<std::string, std::string> weight_map;
  for (const auto& [tensor, shard] : it->items()) {
    if (!shard.is_string()) return Corrupt("{}: shard of tensor '{}' is not a string", index_path, tensor);
    const std::string& shard_name = shard.get_ref<const std::string&>();
    if (!IsPlainFileName(shard_name)) {
      return Corrupt("{}: shard '{}' of tensor '{}' is not a file name in the checkpoint folder", index_path,
                     shard_name, tensor);
    }
    weight_map.emplace(tensor, shard_name);
  }
  if (weight_map.empty()) return Corrupt("{}: \"weight_map\" lists no tensors", index_path);
  return weight_map;
}

}  // namespace

Result<std::unique_ptr<HfCheckpoint>> HfCheckpoint::Open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("{}: not a directory", dir);
  std::unique_ptr<HfCheckpoint> checkpoint(new HfCheckpoint());
  checkpoint->dir_ = dir;
  SGL_ASSIGN_OR_RETURN(checkpoint->config_, ReadJsonObject(JoinPath(dir, kConfigFile)));

  const std::string index_path = JoinPath(dir, kIndexFile);
  const std::string single_path = JoinPath(dir, kSingleFile);
  if (IsRegularFile(index_path)) {
    SGL_RETURN_IF_ERROR(checkpoint->LoadShards(index_path));
  } else if (IsRegularFile(single_path)) {
    SGL_RETURN_IF_ERROR(checkpoint->LoadSingleFile(single_path));
  } else {
    return NotFound("{}: no weights: neither {} nor {} found", dir, kIndexFile, kSingleFile);
  }
  return checkpoint;
}

Status HfCheckpoint::LoadSingleFile(const std::string& path) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(path));
  for (const TensorView& t : file->tensors()) tensors_.emplace(t.name, t);
  files_.push_back(std::move(file));
  return Status::Ok();
}

Status HfCheckpoint::LoadShards(const std::string& index_path) {
  SGL_ASSIGN_OR_RETURN(auto weight_map, ReadWeightMap(index_path));
  std::map<std::string, const SafetensorsFile*> shards;
  for (const auto& [tensor, shard_name] : weight_map) {
    if (shards.count(shard_name) > 0) continue;
    const std::string shard_path = JoinPath(dir_, shard_name);
    if (!IsRegularFile(shard_path)) {
      return NotFound("{}: shard '{}' (holding tensor '{}') is missing: {} not found", index_path, shard_name,
                      tensor, shard_path);
    }
    SGL_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> shard, SafetensorsFile::Open(shard_path));
    shards.emplace(shard_name, shard.get());
    files_.push_back(std::move(shard));
  }
  for (const auto& [tensor, shard_name] : weight_map) {
    const TensorView* view = shards.at(shard_name)->FindTensor(tensor);
    if (view == nullptr) {
      return Corrupt("{}: tensor '{}' is listed in shard '{}' but that shard does not contain it", index_path,
                     tensor, shard_name);
    }
    tensors_.emplace(tensor, *view);
  }
  return Status::Ok();
}

const TensorView* HfCheckpoint::FindTensor(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace sgl
