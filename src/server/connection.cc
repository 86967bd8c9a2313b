#include "server/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>

namespace strata::server {
namespace {

using Clock = std::chrono::steady_clock;

// Chunk sizes, extensions and trailers around a body of max_body_bytes.
constexpr size_t kFramingAllowance = 64 * 1024;

thread_local ConnectionState* current_connection = nullptr;

std::string OpenSslError() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

void AddressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host.data(), host.size(),
                  service.data(), service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(service.data());
  }
}

// One connection: a non-blocking socket (with TLS when `ssl` is set) whose reads stop at the
// current phase's deadline and byte budget.
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(int fd, SSL* ssl, const ConnectionLimits& limits, ConnectionState& state)
      : fd_(fd), ssl_(ssl), limits_(limits), state_(state) {}

  // Until the first byte of the next request is there (false: idle timeout or closed).
  bool WaitForRequest() {
    if (offset_ < size_ || (ssl_ && SSL_pending(ssl_) > 0)) return true;
    return WaitFor(fd_, POLLIN, Clock::now() + std::chrono::milliseconds(limits_.idle_timeout_ms));
  }
  void BeginHeaders() {
    deadline_ = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
    budget_ = limits_.max_header_bytes;
    in_body_ = false;
  }
  void BeginBody() {
    deadline_ = Clock::now() + std::chrono::milliseconds(limits_.body_timeout_ms);
    budget_ = limits_.max_body_bytes + kFramingAllowance;
    in_body_ = true;
  }

  bool is_readable() const override {
    return offset_ < size_ || (ssl_ && SSL_pending(ssl_) > 0) || WaitFor(fd_, POLLIN, IoDeadline());
  }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, IoDeadline()); }

  ssize_t read(char* ptr, size_t size) override {
    if (budget_ == 0) {
      if (in_body_) state_.body_over_limit = true;
      state_.close_after_response = true;
      return -1;
    }
    if (offset_ == size_) {
      const ssize_t n = Fill();
      if (n <= 0) {
        if (n < 0) state_.close_after_response = true;
        return n;
      }
    }
    const size_t n = std::min({size, size_ - offset_, budget_});
    std::copy_n(buffer_.data() + offset_, n, ptr);
    offset_ += n;
    budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    const auto deadline = IoDeadline();
    while (true) {
      if (ssl_) {
        ERR_clear_error();
        const int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (n > 0) return n;
        if (!WaitForSsl(SSL_get_error(ssl_, n), deadline)) return -1;
      } else {
        const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (!WaitFor(fd_, POLLOUT, deadline)) return -1;
      }
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, /*peer=*/true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, /*peer=*/false, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  Clock::time_point IoDeadline() const {
    return std::min(deadline_, Clock::now() + std::chrono::milliseconds(limits_.io_timeout_ms));
  }

  // After an SSL call failed with `error`: waits for the socket as OpenSSL asks.
  bool WaitForSsl(int error, Clock::time_point deadline) const {
    if (error == SSL_ERROR_WANT_READ) return WaitFor(fd_, POLLIN, deadline);
    if (error == SSL_ERROR_WANT_WRITE) return WaitFor(fd_, POLLOUT, deadline);
    return false;
  }

  // Reads what the peer sent into the buffer: >0 bytes, 0 at the end, -1 on error or timeout.
  ssize_t Fill() {
    offset_ = size_ = 0;
    const auto deadline = IoDeadline();
    while (true) {
      if (ssl_) {
        ERR_clear_error();
        const int n = SSL_read(ssl_, buffer_.data(), static_cast<int>(buffer_.size()));
        if (n > 0) {
          size_ = static_cast<size_t>(n);
          return n;
        }
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_ZERO_RETURN) return 0;
        if (!WaitForSsl(error, deadline)) return -1;
      } else {
        const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
        if (n >= 0) {
          size_ = static_cast<size_t>(n);
          return n;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (!WaitFor(fd_, POLLIN, deadline)) return -1;
      }
    }
  }

  int fd_;
  SSL* ssl_;
  const ConnectionLimits& limits_;
  ConnectionState& state_;
  std::array<char, 16 * 1024> buffer_{};
  size_t offset_ = 0, size_ = 0;
  Clock::time_point deadline_ = Clock::now();
  size_t budget_ = 0;
  bool in_body_ = false;
};

// The TLS handshake, bounded by the header timeout; false if it fails or is too slow.
bool Handshake(int fd, SSL* ssl, const ConnectionLimits& limits) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(limits.header_timeout_ms);
  while (true) {
    ERR_clear_error();
    const int rc = SSL_accept(ssl);
    if (rc == 1) return true;
    const int error = SSL_get_error(ssl, rc);
    if (error == SSL_ERROR_WANT_READ) {
      if (!WaitFor(fd, POLLIN, deadline)) return false;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd, POLLOUT, deadline)) return false;
    } else {
      return false;
    }
  }
}

// Lets the peer read our last response before the socket closes: a close with unread input
// would reset the connection and could discard the answer (e.g. a 413) in flight. The budget
// covers what a fast sender has queued in the kernel's buffers (several MiB on loopback) and a
// peer that is slow to be scheduled; past it the connection is reset anyway.
void Linger(int fd) {
  ::shutdown(fd, SHUT_WR);
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  std::array<char, 64 * 1024> sink{};
  size_t drained = 0;
  while (drained < 64 * 1024 * 1024 && WaitFor(fd, POLLIN, deadline)) {
    const ssize_t n = ::recv(fd, sink.data(), sink.size(), 0);
    if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) break;
    if (n > 0) drained += static_cast<size_t>(n);
  }
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                     const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Status::Internal("TLS: cannot create a context: " + OpenSslError());
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Status::InvalidArgument("TLS certificate " + cert_file +
                                   ": cannot be read as a PEM certificate (" + OpenSslError() +
                                   ")");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("TLS key " + key_file + ": cannot be read as a PEM key (" +
                                   OpenSslError() + ")");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("TLS key " + key_file + " does not match the certificate " +
                                   cert_file);
  }
  // OpenSSL writes to the socket with write(2): a peer gone mid-response must not kill us.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

ConnectionState* CurrentConnection() { return current_connection; }

GuardedServer::GuardedServer(ConnectionLimits limits, const TlsContext* tls, size_t threads)
    : limits_(limits), tls_(tls) {
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  set_payload_max_length(limits_.max_body_bytes);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  ConnectionState state;
  state.tls = tls_ != nullptr;
  SSL* ssl = nullptr;
  bool ok = true;
  if (tls_) {
    ssl = SSL_new(tls_->get());
    ok = ssl && SSL_set_fd(ssl, sock) == 1 && Handshake(sock, ssl, limits_);
  }
  if (ok) {
    GuardedStream stream(sock, ssl, limits_, state);
    current_connection = &state;
    for (int served = 0; served < limits_.max_requests_per_connection; ++served) {
      if (svr_sock_ == INVALID_SOCKET || !stream.WaitForRequest()) break;
      stream.BeginHeaders();
      bool closed = false;
      const bool last = served + 1 == limits_.max_requests_per_connection;
      ok = process_request(stream, last, closed, [&stream](httplib::Request& request) {
        // A body needs a length or chunks (RFC 9112 6.3): none means
        // empty, rather than "read until the client closes".
        if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding")) {
          request.set_header("Content-Length", "0");
        }
        stream.BeginBody();
      });
      if (!ok || closed || state.close_after_response) break;
      state = ConnectionState{state.tls};
    }
    current_connection = nullptr;
  }
  if (ssl) {
    if (ok) SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  Linger(sock);
  ::close(sock);
  return ok;
}

}  // namespace strata::server
