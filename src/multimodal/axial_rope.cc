#include "multimodal/axial_rope.h"

#include <cmath>

namespace sgl::multimodal {

RopeSpec AxialVisionRope(int head_dim, double theta) {
  RopeSpec rope;
  const int quarter = head_dim / 4;
  for (int axis = 0; axis < 2; ++axis) {
    for (int i = 0; i < quarter; ++i) {
      rope.inv_freq.push_back(static_cast<float>(1.0 / std::pow(theta, static_cast<double>(2 * i) / (head_dim / 2))));
    }
  }
  rope.neox = true;
  rope.axis_sections = {quarter, quarter};
  return rope;
}

}  // namespace sgl::multimodal
