// Beast-level building blocks shared by the transport's TUs (only src/transport includes this).
#pragma once

#include "transport/http_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <string>

namespace raycl::transport {

/// The OpenSSL client context of a client: system CAs, optional CA file, verification mode.
class tls_context {
public:
    /// Throws client_error 400 when the CA file cannot be loaded.
    explicit tls_context(const tls_options& options);
    boost::asio::ssl::context& native() noexcept { return context_; }
    bool verify_peer() const noexcept { return verify_peer_; }

private:
    boost::asio::ssl::context context_;
    bool verify_peer_ = true;
};

std::chrono::steady_clock::duration to_steady(seconds value);

/// The Host header value: host (IPv6 in brackets) and the port unless it is the scheme's default.
std::string host_header(const core::endpoint& endpoint);

/// Resolves and connects before `deadline` (TCP_NODELAY on). Throws attempt_error.
boost::asio::awaitable<void> connect_tcp(boost::beast::tcp_stream& stream, boost::asio::ip::tcp::resolver& resolver,
                                         const session_settings& settings,
                                         std::chrono::steady_clock::time_point deadline);

/// TLS client handshake with SNI and host-name verification before `deadline`.
/// Throws attempt_error (tls_failed with OpenSSL's reason, connect_timeout, cancelled).
boost::asio::awaitable<void> handshake_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                           const session_settings& settings,
                                           std::chrono::steady_clock::time_point deadline);

}  // namespace raycl::transport
