// HTTP transport for OpenLineage events, kept apart because httplib.h is a large header.
#include <httplib.h>

#include <string>

#include "catalog/openlineage.h"
#include "common/redact.h"

namespace strata::catalog {

Status PostJson(const std::string& url, const std::string& body, int timeout_seconds) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return Status::InvalidArgument("bad URL: " + RedactUrl(url));
  size_t path_start = url.find('/', scheme_end + 3);
  std::string base = url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client client(base);
  client.set_connection_timeout(timeout_seconds, 0);
  client.set_read_timeout(timeout_seconds, 0);
  client.set_write_timeout(timeout_seconds, 0);
  httplib::Result result = client.Post(path, body, "application/json");
  if (!result) {
    return Status::IOError("OpenLineage endpoint " + RedactUrl(url) + ": " +
                           httplib::to_string(result.error()));
  }
  if (result->status < 200 || result->status >= 300) {
    return Status::IOError("OpenLineage endpoint " + RedactUrl(url) + " answered " +
                           std::to_string(result->status) + ": " + result->body.substr(0, 200));
  }
  return Status::OK();
}

}  // namespace strata::catalog
