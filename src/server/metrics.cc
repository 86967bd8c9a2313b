#include "server/metrics.h"

#include <cstdio>
#include <cstdlib>
#include <set>

namespace strata::server {
namespace {

// The shortest text that reads back as the same double (0.005, not 0.0050000000000000001).
std::string Number(double value) {
  char buffer[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status,
                             double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  Histogram& h = latency_[{method, route}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];  // cumulative: every bucket >= the value
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Exposition(const std::vector<GaugeSample>& gauges) const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    out +=
        "# HELP strata_http_requests_total HTTP requests served, by method, route and status.\n"
        "# TYPE strata_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      const auto& [method, route, status] = key;
      out += "strata_http_requests_total{method=\"" + EscapeLabel(method) + "\",route=\"" +
             EscapeLabel(route) + "\",status=\"" + std::to_string(status) + "\"} " +
             std::to_string(count) + "\n";
    }
    out +=
        "# HELP strata_http_request_duration_seconds Time to serve HTTP requests.\n"
        "# TYPE strata_http_request_duration_seconds histogram\n";
    for (const auto& [key, h] : latency_) {
      const std::string labels =
          "method=\"" + EscapeLabel(key.first) + "\",route=\"" + EscapeLabel(key.second) + "\"";
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out += "strata_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
               Number(kBuckets[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
      }
      out += "strata_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out += "strata_http_request_duration_seconds_sum{" + labels + "} " + Number(h.sum) + "\n";
      out += "strata_http_request_duration_seconds_count{" + labels + "} " +
             std::to_string(h.count) + "\n";
    }
  }
  std::set<std::string> described;
  for (const GaugeSample& g : gauges) {
    if (described.insert(g.name).second) {
      out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
    }
    out += g.name + (g.labels.empty() ? "" : "{" + g.labels + "}") + " " + Number(g.value) + "\n";
  }
  return out;
}

}  // namespace strata::server
