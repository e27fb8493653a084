// ModelShard: what one tensor-parallel rank computes with: the part of the model it holds
// (ShardLayout) and the communicator it shares partial results through. The whole model
// on one rank has no communicator, and its collectives are no-ops. Borrowed by the model
// code of one rank; the communicator is owned by whoever built the group.
#pragma once

#include "model/shard_layout.h"
#include "parallel/communicator.h"

namespace sgl {

struct ModelShard {
  ShardLayout layout;
  Communicator* comm = nullptr;  // null: a single rank

  // The whole model on one rank.
  static ModelShard Whole(const ModelConfig& config) { return {ShardLayout::Whole(config), nullptr}; }
  bool split() const { return layout.size > 1; }
  // x = sum of every rank's x (nothing to do on one rank).
  Status AllReduce(Tensor x) const { return comm != nullptr ? comm->AllReduceSum(x) : Status::Ok(); }
};

}  // namespace sgl
