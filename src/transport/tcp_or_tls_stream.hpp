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

#include <boost/asio/associator.hpp>
#include <boost/asio/buffer.hpp>

#include <chrono>
#include <memory>
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

    /// Reads some bytes. When bytes are already waiting in the socket, the stream reads the
    /// socket (or TLS) up to `read_buffer_size` bytes at a time into its own buffer and hands
    /// them out from there: Beast reads a WebSocket at most 1,536 bytes at a time and an HTTP
    /// response 512 bytes at first, which would otherwise be one system call and one reactor
    /// operation each. When none are waiting, the read goes straight into the caller's buffers
    /// and the stream gives its buffer back: a quiet connection holds none (every buffer of 200
    /// idle tails would otherwise keep resident the pages their last replay touched, and the
    /// soak's RSS grew with the log). A read that the buffer satisfies completes as if posted
    /// (never inside this call), on the handler's executor.
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) { initiate_read(std::move(handler), b); }, token, buffers);
    }

    /// Bytes read from the socket that no read has taken yet.
    std::size_t buffered() const noexcept { return read_end_ - read_begin_; }

    /// Whether a read would probably complete without waiting for the peer: bytes are buffered
    /// here, waiting in the socket, or (TLS) decrypted and not yet read.
    bool data_waiting() noexcept { return buffered() > 0 || socket_has_data(); }

    /// Bytes the stream asks the socket for at once.
    static constexpr std::size_t read_buffer_size = 64 * 1024;

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                std::visit([&](auto& stream) { stream.async_write_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    /// Completes a read that went to the socket (public only for the associator below): the bytes go into the caller's buffers from
    /// the stream's buffer (the rest stays there for the next reads).
    template <class Handler, class MutableBuffers>
    struct fill_op {
        tcp_or_tls_stream* stream;
        Handler handler;
        MutableBuffers buffers;

        void operator()(boost::system::error_code ec, std::size_t bytes) {
            stream->read_begin_ = 0;
            stream->read_end_ = bytes;
            std::size_t copied = 0;
            if (bytes > 0) {
                copied = stream->take_buffered(buffers);
                // Bytes came with an error (TLS may do that): hand out the bytes first.
                if (ec) stream->read_error_ = ec;
                ec = {};
            }
            std::move(handler)(ec, copied);
        }
    };

private:
    using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

    template <class Handler, class MutableBuffers>
    void initiate_read(Handler handler, const MutableBuffers& buffers) {
        namespace asio = boost::asio;
        const std::size_t wanted = asio::buffer_size(buffers);
        if (buffered() > 0 || wanted == 0 || read_error_) {
            boost::system::error_code ec;
            std::size_t copied = 0;
            if (buffered() > 0)
                copied = take_buffered(buffers);
            else if (wanted > 0)
                ec = std::exchange(read_error_, {});
            asio::post(get_executor(), boost::beast::bind_front_handler(std::move(handler), ec, copied));
            return;
        }
        // A large read needs no copy; a read that will probably wait for the peer waits in the
        // caller's buffers (Beast's own), and the stream keeps no buffer meanwhile.
        if (wanted >= read_buffer_size || !socket_has_data()) {
            give_back_read_buffer();
            std::visit([&](auto& stream) { stream.async_read_some(buffers, std::move(handler)); }, stream_);
            return;
        }
        if (!read_buffer_) read_buffer_ = take_read_buffer();
        std::visit(
            [&](auto& stream) {
                stream.async_read_some(asio::buffer(read_buffer_.get(), read_buffer_size),
                                       fill_op<Handler, MutableBuffers>{this, std::move(handler), buffers});
            },
            stream_);
    }

    /// A read buffer: a spare one of this thread's, else a new one (not zero-filled: only the
    /// pages reads reach become resident).
    static std::unique_ptr<char[]> take_read_buffer();
    /// Keeps the buffer as one of this thread's few spares, else frees it: buffers taken and
    /// given back for every burst would otherwise leave 64 KiB holes that small allocations
    /// split (the heap grew).
    void give_back_read_buffer() noexcept;

    /// Bytes the kernel received on the socket and no read took yet (FIONREAD), or TLS
    /// plaintext already decrypted.
    bool socket_has_data() noexcept {
        if (auto* tls = std::get_if<tls_stream>(&stream_); tls && ::SSL_pending(tls->native_handle()) > 0) return true;
        boost::system::error_code ec;
        const std::size_t available = tcp().socket().available(ec);
        return !ec && available > 0;
    }

    template <class MutableBuffers>
    std::size_t take_buffered(const MutableBuffers& buffers) noexcept {
        const std::size_t copied = boost::asio::buffer_copy(
            buffers, boost::asio::const_buffer(read_buffer_.get() + read_begin_, read_end_ - read_begin_));
        read_begin_ += copied;
        if (read_begin_ == read_end_) {
            // A socket read that did not fill the buffer most likely emptied the socket: give
            // the buffer back now (an idle pooled connection keeps none either).
            if (read_end_ < read_buffer_size) give_back_read_buffer();
            read_begin_ = read_end_ = 0;
        }
        return copied;
    }

    boost::asio::ip::tcp::resolver resolver_;
    std::variant<boost::beast::tcp_stream, tls_stream> stream_;
    /// Held only while bytes flow (not zero-filled: only the pages reads reach become resident).
    std::unique_ptr<char[]> read_buffer_;
    std::size_t read_begin_ = 0;
    std::size_t read_end_ = 0;
    boost::system::error_code read_error_;  ///< came with the last bytes; reported by the next read
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

/// The read operation of tcp_or_tls_stream has its caller's executor, allocator and
/// cancellation slot.
template <template <typename, typename> class Associator, class Handler, class MutableBuffers, class DefaultCandidate>
struct boost::asio::associator<Associator, raycl::transport::tcp_or_tls_stream::fill_op<Handler, MutableBuffers>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const raycl::transport::tcp_or_tls_stream::fill_op<Handler, MutableBuffers>& op) noexcept {
        return Associator<Handler, DefaultCandidate>::get(op.handler);
    }
    static auto get(const raycl::transport::tcp_or_tls_stream::fill_op<Handler, MutableBuffers>& op,
                    const DefaultCandidate& candidate) noexcept {
        return Associator<Handler, DefaultCandidate>::get(op.handler, candidate);
    }
};
