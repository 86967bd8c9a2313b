// Prometheus metrics of the server in the text exposition format (version 0.0.4): request
// counts by method, route and status, request latency histograms by method and route, plus
// gauges computed when scraped (runs by status, tables by layer).
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace strata::server {

// One gauge sample; `labels` is the text inside the braces (`status="success"`), may be empty.
struct GaugeSample {
  std::string name;
  std::string help;
  std::string labels;
  double value = 0;
};

class Metrics {
 public:
  // Upper bounds of the latency buckets, seconds (le="+Inf" is added).
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  // `route` is the route pattern (bounded set), never the raw path.
  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      double seconds);
  // The whole exposition: requests, latencies, then `gauges` grouped by name in order given.
  std::string Exposition(const std::vector<GaugeSample>& gauges) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
};

// A label value escaped for the exposition format (backslash, quote, newline).
std::string EscapeLabel(const std::string& value);

}  // namespace strata::server
