// The server's connections (internal to the server layer; includes httplib): httplib's request
// parsing and routing over our own per-connection stream, so that slow or oversized clients
// cannot hold the server.
//
// httplib 0.11.4 (Debian) times out each read separately: a client sending one header byte every
// few seconds keeps a worker thread forever, and chunked or length-less bodies are read without
// the payload limit. GuardedServer replaces its per-connection loop (process_and_close_socket)
// with one that enforces, per request:
//  - the request line and headers arrive within `header_timeout_ms` of the request's first byte
//    and take at most `max_header_bytes`;
//  - the body arrives within `body_timeout_ms` and takes at most `max_body_bytes` plus a
//    little chunk framing, whatever its framing (Content-Length, chunked or none);
//  - an idle keep-alive connection is closed after `idle_timeout_ms`, and after
//    `max_requests_per_connection` requests.
// A request past a limit fails its read: the server answers 413 (body) or closes the
// connection (headers), and the connection is closed either way. TLS (when a TlsContext is
// given) runs on the same stream, with the handshake bounded by the header timeout.
// Thread safety: like httplib::Server; CurrentConnection() is per worker thread.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace strata::server {

struct ConnectionLimits {
  int header_timeout_ms = 10000;
  int body_timeout_ms = 60000;
  int idle_timeout_ms = 5000;
  int io_timeout_ms = 5000;  // one read or write waiting for the peer
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  int max_requests_per_connection = 100;
};

// A server certificate and key (PEM files) for HTTPS.
class TlsContext {
 public:
  // InvalidArgument naming the file when the certificate or key cannot be read or do not match.
  static Result<std::unique_ptr<TlsContext>> Load(const std::string& cert_file,
                                                  const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// What the handlers of the request being served on this thread may ask about its connection.
struct ConnectionState {
  bool tls = false;
  bool body_over_limit = false;  // a read stopped at max_body_bytes
  bool close_after_response = false;
};
// The state of the connection this worker thread serves, or nullptr outside a request.
ConnectionState* CurrentConnection();

class GuardedServer : public httplib::Server {
 public:
  // `tls` may be null (plain HTTP); it must outlive the server.
  GuardedServer(ConnectionLimits limits, const TlsContext* tls, size_t threads);
  const ConnectionLimits& limits() const { return limits_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  ConnectionLimits limits_;
  const TlsContext* tls_;
};

}  // namespace strata::server
