#include "server/server_activity.h"

namespace sgl::server {

ServerActivity::ServerActivity(size_t max_recent, size_t history_seconds)
    : max_recent_(max_recent), history_seconds_(history_seconds), per_second_(1, 0) {}

int64_t ServerActivity::SecondNow() const {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - epoch_).count();
}

void ServerActivity::AdvanceTo(int64_t second) {
  for (; last_second_ < second; ++last_second_) {
    per_second_.push_back(0);
    if (per_second_.size() > history_seconds_ + 1) per_second_.pop_front();
  }
}

void ServerActivity::Started(const std::string& rid, const std::string& route, int64_t prompt_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_total_;
  recent_.push_front({rid, route, "running", prompt_tokens, 0, 0, Clock::now(), 0});
  if (recent_.size() > max_recent_) recent_.pop_back();
}

void ServerActivity::Generated(int64_t tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceTo(SecondNow());
  per_second_.back() += tokens;
}

void ServerActivity::Finished(const std::string& rid, const std::string& state, int64_t cached_tokens,
                              int64_t output_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Entry& e : recent_) {
    if (e.rid != rid || e.state != "running") continue;
    e.state = state;
    e.cached_tokens = cached_tokens;
    e.output_tokens = output_tokens;
    e.latency = std::chrono::duration<double>(Clock::now() - e.start).count();
    return;
  }
}

Json ServerActivity::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceTo(SecondNow());
  Json recent = Json::array();
  for (const Entry& e : recent_) {
    const double latency = e.state == "running" ? std::chrono::duration<double>(Clock::now() - e.start).count() : e.latency;
    recent.push_back(Json{{"id", e.rid}, {"route", e.route}, {"state", e.state}, {"prompt_tokens", e.prompt_tokens},
                          {"cached_tokens", e.cached_tokens}, {"output_tokens", e.output_tokens}, {"latency_s", latency}});
  }
  // Whole seconds only: the current one is still counting.
  Json rates = Json::array();
  for (size_t i = 0; i + 1 < per_second_.size(); ++i) rates.push_back(per_second_[i]);
  return Json{{"requests_total", requests_total_}, {"recent", recent}, {"tokens_per_second", rates}};
}

}  // namespace sgl::server
