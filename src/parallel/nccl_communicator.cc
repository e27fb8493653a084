#include "parallel/nccl_communicator.h"

#include <numeric>

namespace sgl {
namespace {

Result<ncclDataType_t> NcclType(DType t) {
  switch (t) {
    case DType::kF32: return ncclFloat32;
    case DType::kF16: return ncclFloat16;
    case DType::kBF16: return ncclBfloat16;
    default: return InvalidArgument("NCCL collectives take F32, F16 or BF16 tensors, got {}", Name(t));
  }
}

Status FromCudaError(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return Status::Ok();
  return Status(StatusCode::kInternal, fmt::format("{}: CUDA error {}", what, cudaGetErrorString(err)));
}

}  // namespace

Result<std::vector<std::unique_ptr<NcclCommunicator>>> NcclCommunicator::CreateGroup(int size) {
  if (size < 1) return InvalidArgument("an NCCL group needs at least 1 rank, got {}", size);
  auto group = std::make_shared<Group>();
  group->comms.resize(size);
  std::vector<int> devices(size);
  std::iota(devices.begin(), devices.end(), 0);
  const ncclResult_t r = ncclCommInitAll(group->comms.data(), size, devices.data());
  if (r != ncclSuccess)
    return Status(StatusCode::kInternal, fmt::format("ncclCommInitAll over {} GPUs: {}", size, ncclGetErrorString(r)));
  std::vector<std::unique_ptr<NcclCommunicator>> out;
  for (int i = 0; i < size; ++i) out.push_back(std::unique_ptr<NcclCommunicator>(new NcclCommunicator(group, i, size)));
  return out;
}

NcclCommunicator::NcclCommunicator(std::shared_ptr<Group> group, int rank, int size)
    : group_(std::move(group)), rank_(rank), size_(size) {}

NcclCommunicator::~NcclCommunicator() {
  if (scratch_ != nullptr) cudaFree(scratch_);
  std::lock_guard<std::mutex> lock(group_->mu);
  if (!group_->aborted) ncclCommDestroy(group_->comms[rank_]);
}

Status NcclCommunicator::Check(ncclResult_t result, const char* what) const {
  if (result == ncclSuccess) return Status::Ok();
  return Status(StatusCode::kInternal, fmt::format("NCCL {} on rank {}: {}", what, rank_, ncclGetErrorString(result)));
}

Status NcclCommunicator::Aborted() const {
  std::lock_guard<std::mutex> lock(group_->mu);
  if (!group_->aborted) return Status::Ok();
  return Status(StatusCode::kInternal, "tensor-parallel group aborted (a rank failed or is shutting down)");
}

Result<void*> NcclCommunicator::Scratch(size_t bytes) {
  if (bytes <= scratch_bytes_) return scratch_;
  if (scratch_ != nullptr) {
    SGL_RETURN_IF_ERROR(FromCudaError(cudaStreamSynchronize(stream_), "NCCL scratch"));
    cudaFree(scratch_);
    scratch_ = nullptr;
    scratch_bytes_ = 0;
  }
  SGL_RETURN_IF_ERROR(FromCudaError(cudaMalloc(&scratch_, bytes), "NCCL scratch"));
  scratch_bytes_ = bytes;
  return scratch_;
}

Status NcclCommunicator::AllReduceSum(Tensor x) {
  SGL_RETURN_IF_ERROR(Aborted());
  SGL_ASSIGN_OR_RETURN(const ncclDataType_t type, NcclType(x.dtype));
  const size_t count = static_cast<size_t>(x.rows * x.cols);
  return Check(ncclAllReduce(x.data, x.data, count, type, ncclSum, group_->comms[rank_], stream_), "all-reduce");
}

Status NcclCommunicator::AllGatherLastDim(const Tensor& x, Tensor out) {
  SGL_RETURN_IF_ERROR(Aborted());
  if (x.dtype != out.dtype || out.rows != x.rows || out.cols != x.cols * size_)
    return InvalidArgument("AllGatherLastDim: out is [{}, {}], expected [{}, {}]", out.rows, out.cols, x.rows,
                           x.cols * size_);
  SGL_ASSIGN_OR_RETURN(const ncclDataType_t type, NcclType(x.dtype));
  // NCCL gathers rank-major ([size, rows, cols]); a strided copy per rank puts each
  // rank's columns in place.
  const size_t part_bytes = x.NumBytes(), row_bytes = x.RowBytes();
  SGL_ASSIGN_OR_RETURN(void* gathered, Scratch(part_bytes * size_));
  SGL_RETURN_IF_ERROR(Check(ncclAllGather(x.data, gathered, static_cast<size_t>(x.rows * x.cols), type,
                                          group_->comms[rank_], stream_),
                            "all-gather"));
  for (int r = 0; r < size_; ++r) {
    const cudaError_t err = cudaMemcpy2DAsync(static_cast<uint8_t*>(out.data) + r * row_bytes, out.RowBytes(),
                                              static_cast<const uint8_t*>(gathered) + r * part_bytes, row_bytes,
                                              row_bytes, static_cast<size_t>(x.rows), cudaMemcpyDeviceToDevice, stream_);
    SGL_RETURN_IF_ERROR(FromCudaError(err, "all-gather reorder"));
  }
  return Status::Ok();
}

Status NcclCommunicator::Barrier() {
  SGL_RETURN_IF_ERROR(Aborted());
  SGL_ASSIGN_OR_RETURN(void* one, Scratch(sizeof(float)));
  SGL_RETURN_IF_ERROR(Check(ncclAllReduce(one, one, 1, ncclFloat32, ncclSum, group_->comms[rank_], stream_), "barrier"));
  return FromCudaError(cudaStreamSynchronize(stream_), "NCCL barrier");
}

Status NcclCommunicator::Broadcast(std::span<uint8_t> bytes, int root) {
  SGL_RETURN_IF_ERROR(Aborted());
  if (root < 0 || root >= size_) return InvalidArgument("Broadcast: root {} is outside [0, {})", root, size_);
  if (bytes.empty()) return Barrier();
  SGL_ASSIGN_OR_RETURN(void* device, Scratch(bytes.size()));
  SGL_RETURN_IF_ERROR(FromCudaError(
      cudaMemcpyAsync(device, bytes.data(), bytes.size(), cudaMemcpyHostToDevice, stream_), "broadcast upload"));
  SGL_RETURN_IF_ERROR(
      Check(ncclBroadcast(device, device, bytes.size(), ncclUint8, root, group_->comms[rank_], stream_), "broadcast"));
  SGL_RETURN_IF_ERROR(FromCudaError(
      cudaMemcpyAsync(bytes.data(), device, bytes.size(), cudaMemcpyDeviceToHost, stream_), "broadcast download"));
  return FromCudaError(cudaStreamSynchronize(stream_), "NCCL broadcast");
}

void NcclCommunicator::Abort() {
  std::lock_guard<std::mutex> lock(group_->mu);
  if (group_->aborted) return;
  group_->aborted = true;
  for (ncclComm_t comm : group_->comms) ncclCommAbort(comm);
}

}  // namespace sgl
