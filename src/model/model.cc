#include "model/model.h"

#include "model/architectures.h"

namespace sgl {
namespace {

Result<std::unique_ptr<Model>> Load(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard) {
  switch (files->config().arch) {
    case Architecture::kLlama:
    case Architecture::kQwen2:
    case Architecture::kQwen3:
      return LoadLlamaFamily(std::move(files), backend, shard);
    case Architecture::kGemma3:
      return LoadGemma3(std::move(files), backend, shard);
    case Architecture::kGlm4v:
      return LoadGlm4v(std::move(files), backend, shard);
    case Architecture::kQwen25Vl:
      return LoadQwen25Vl(std::move(files), backend, shard);
  }
  return Unsupported("{}: unknown architecture", files->path());
}

}  // namespace

Result<std::unique_ptr<Model>> LoadModel(const std::string& path, Backend& backend) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<ModelFiles> files, ModelFiles::Open(path));
  const ModelShard whole = ModelShard::Whole(files->config());
  return Load(std::move(files), backend, whole);
}

Result<std::unique_ptr<Model>> LoadModelShard(const std::string& path, Backend& backend, Communicator& comm) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<ModelFiles> files, ModelFiles::Open(path));
  auto layout = ShardLayout::Create(files->config(), comm.rank(), comm.size());
  if (!layout.ok()) return layout.status().WithContext(path);
  const ModelShard shard{*layout, comm.size() > 1 ? &comm : nullptr};
  return Load(std::move(files), backend, shard);
}

}  // namespace sgl
