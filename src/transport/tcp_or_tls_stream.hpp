// The one stream of the transport: plain TCP or TLS over TCP, chosen per connection from the
// client's settings. Both the HTTP connections and the log sources (WebSocket and HTTP stream)
// read and write through it, so no code is written twice for TLS. Only src/transport includes
// this header (it pulls in Beast and OpenSSL).
#pragma once

#include "transport/http_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <variant>

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

/// Plain TCP or TLS over TCP: an AsyncReadStream and AsyncWriteStream for Beast's HTTP and
/// WebSocket code, whose lowest layer is always a `beast::tcp_stream` (timeouts, closing).
class tcp_or_tls_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    /// Beast's layering: `get_lowest_layer()` reaches the TCP stream through `next_layer()`.
    using next_layer_type = boost::beast::tcp_stream;

    /// TLS when `settings.tls` is set (the client's address is https).
    tcp_or_tls_stream(const strand_type& strand, const session_settings& settings);

    executor_type get_executor() noexcept { return tcp().get_executor(); }
    boost::beast::tcp_stream& tcp() noexcept;
    next_layer_type& next_layer() noexcept { return tcp(); }

    /// Resolves, connects (TCP_NODELAY on) and, for TLS, handshakes with SNI and host-name
    /// verification, all before `deadline`. Throws transport::failure (resolve_failed,
    /// connect_refused, connect_timeout, tls_failed, cancelled).
    boost::asio::awaitable<void> open(const session_settings& settings, std::chrono::steady_clock::time_point deadline);

    /// Cancels a pending resolve and closes the socket at once (no TLS close_notify, no
    /// WebSocket close handshake: Ray answers neither); pending operations complete with
    /// operation_aborted.
    void close_now() noexcept;

    bool is_open() noexcept { return tcp().socket().is_open(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                std::visit([&](auto& stream) { stream.async_read_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                std::visit([&](auto& stream) { stream.async_write_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

private:
    using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
    boost::asio::ip::tcp::resolver resolver_;
    std::variant<boost::beast::tcp_stream, tls_stream> stream_;
};

/// Beast's close of the lowest layer (used by the WebSocket's own timeouts).
inline void beast_close_socket(tcp_or_tls_stream& stream) {
    stream.close_now();
}

/// The WebSocket teardown: close at once. Beast's default waits for the peer's FIN (and, over
/// TLS, its close_notify), which Ray never sends.
inline void teardown(boost::beast::role_type, tcp_or_tls_stream& stream, boost::system::error_code& ec) {
    stream.close_now();
    ec = {};
}

/// The asynchronous WebSocket teardown: close at once, complete as if posted.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type, tcp_or_tls_stream& stream, TeardownHandler&& handler) {
    stream.close_now();
    boost::asio::post(stream.get_executor(), boost::beast::bind_front_handler(std::forward<TeardownHandler>(handler),
                                                                              boost::system::error_code{}));
}

}  // namespace raycl::transport
