// Log sources over Beast: the WebSocket tail and the HTTP chunked stream, plain or TLS.
#include "transport/log_source.hpp"

#include "transport/beast_streams.hpp"
#include "transport/log_stream_parser.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <memory>
#include <type_traits>

namespace raycl::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using core::transport_failure;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_error_body = 64 * 1024;

/// Connects `layer` (a tcp_stream or a TLS stream over one) before `deadline`.
template <class Layer>
asio::awaitable<void> connect_layer(Layer& layer, tcp::resolver& resolver, const session_settings& settings,
                                    std::chrono::steady_clock::time_point deadline) {
    co_await connect_tcp(beast::get_lowest_layer(layer), resolver, settings, deadline);
    if constexpr (std::is_same_v<Layer, tls_stream>) co_await handshake_tls(layer, settings, deadline);
}

/// Closes at once (no WebSocket/TLS close handshake: Ray never answers one); pending
/// operations complete with operation_aborted.
void close_now(tcp::resolver& resolver, beast::tcp_stream& stream) noexcept {
    boost::system::error_code ignored;
    resolver.cancel();
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
}

/// Maps a failed read to the attempt_error the facade understands.
[[noreturn]] void fail_read(boost::system::error_code ec, bool closed_by_us, std::string_view what) {
    if (closed_by_us || ec == asio::error::operation_aborted)
        throw attempt_error(transport_failure::cancelled, "log stream closed");
    if (ec == beast::error::timeout)
        throw attempt_error(transport_failure::read_timeout, "no log data within the stream timeout");
    throw attempt_error(transport_failure::connection_lost, std::string(what) + ": " + ec.message());
}

/// Maps a failure while opening (before any log data): a timeout there is a connection attempt
/// that took longer than the connect timeout, retried like one, not the stream's idle timeout.
[[noreturn]] void fail_open(boost::system::error_code ec, bool closed_by_us, std::string_view what) {
    if (ec == beast::error::timeout && !closed_by_us)
        throw attempt_error(transport_failure::connect_timeout, std::string(what) + ": timed out");
    fail_read(ec, closed_by_us, what);
}

template <class NextLayer>
class websocket_source final : public log_source {
public:
    websocket_source(const strand_type& strand, std::shared_ptr<const session_settings> settings, std::string target,
                     std::size_t max_message_bytes)
        : settings_(std::move(settings)),
          target_(std::move(target)),
          resolver_(strand),
          socket_(make_stream(strand)),
          max_message_bytes_(max_message_bytes),
          guard_(strand) {
        // The cap is enforced in read(): Beast's own check fails the connection with a close
        // handshake that waits for a server which (like Ray) never answers one.
        socket_.read_message_max(0);
    }

    ~websocket_source() override { *alive_ = false; }

    asio::awaitable<void> open(seconds connect_timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + to_steady(connect_timeout);
        co_await connect_layer(socket_.next_layer(), resolver_, *settings_, deadline);
        socket_.set_option(
            websocket::stream_base::decorator([headers = settings_->headers](websocket::request_type& request) {
                for (const auto& [name, value] : headers) request.set(name, value);
            }));
        beast::get_lowest_layer(socket_).expires_at(deadline);
        websocket::response_type response;
        auto [ec] =
            co_await socket_.async_handshake(response, host_header(settings_->endpoint), target_, as_tuple_awaitable);
        beast::get_lowest_layer(socket_).expires_never();
        if (ec == websocket::error::upgrade_declined)
            throw http_status_error(static_cast<int>(response.result_int()), response.body());
        if (ec == beast::error::timeout)
            throw attempt_error(transport_failure::connect_timeout, "WebSocket handshake timed out");
        if (ec) fail_read(ec, closed_, "WebSocket handshake failed");
    }

    asio::awaitable<std::optional<std::string_view>> read(std::optional<seconds> idle_timeout) override {
        buffer_.consume(buffer_.size());
        auto& lowest = beast::get_lowest_layer(socket_);
        // One idle timeout (and one guard) for the whole message, as for a single async_read.
        if (idle_timeout)
            lowest.expires_after(to_steady(*idle_timeout));
        else
            lowest.expires_never();
        arm_guard(idle_timeout);
        boost::system::error_code ec;
        do {
            auto [read_ec, bytes] =
                co_await socket_.async_read_some(buffer_, max_message_bytes_ + 1 - buffer_.size(), as_tuple_awaitable);
            (void)bytes;
            ec = read_ec;
        } while (!ec && buffer_.size() <= max_message_bytes_ && !socket_.is_message_done());
        guard_.cancel();
        lowest.expires_never();
        if (!ec && buffer_.size() > max_message_bytes_)
            throw attempt_error(transport_failure::body_too_large, "WebSocket message larger than the frame cap");
        if (!ec) {
            const auto data = buffer_.cdata();
            co_return std::string_view(static_cast<const char*>(data.data()), data.size());
        }
        if (guard_fired_ && !closed_)
            throw attempt_error(transport_failure::connection_lost,
                                "WebSocket protocol error, and the server did not close the connection");
        // Over TLS a server that skips close_notify after its close frame shows as a truncated stream.
        if (ec == websocket::error::closed ||
            (ec == asio::ssl::error::stream_truncated && socket_.reason().code != websocket::close_code::none)) {
            if (socket_.reason().code == websocket::close_code::normal) co_return std::nullopt;
            throw attempt_error(transport_failure::connection_lost,
                                "WebSocket closed with code " + std::to_string(socket_.reason().code));
        }
        fail_read(ec, closed_, "WebSocket connection lost");
    }

    void close() noexcept override {
        closed_ = true;
        close_now(resolver_, beast::get_lowest_layer(socket_));
    }

private:
    /// When Beast fails the connection (a server breaking the protocol: invalid UTF-8, a masked
    /// or malformed frame), it sends a close frame and waits for the server to close the TCP
    /// connection, on the raw socket: no idle timeout applies, and Ray never closes. The guard
    /// closes the socket a while after the idle timeout; a read the timeout ends first cancels it.
    void arm_guard(std::optional<seconds> idle_timeout) {
        guard_fired_ = false;
        if (!idle_timeout) return;
        guard_.expires_after(to_steady(*idle_timeout) + std::chrono::seconds(2));
        // A wait that had already expired when the source was destroyed still completes without
        // an error: `alive_` (set false by the destructor, on the same strand) tells.
        guard_.async_wait([this, alive = alive_](boost::system::error_code ec) {
            if (ec || !*alive) return;
            guard_fired_ = true;
            boost::system::error_code ignored;
            beast::get_lowest_layer(socket_).socket().close(ignored);
        });
    }

    websocket::stream<NextLayer> make_stream(const strand_type& strand) {
        if constexpr (std::is_same_v<NextLayer, tls_stream>) {
            return websocket::stream<NextLayer>(strand, settings_->tls->native());
        } else {
            return websocket::stream<NextLayer>(strand);
        }
    }

    std::shared_ptr<const session_settings> settings_;
    std::string target_;
    tcp::resolver resolver_;
    websocket::stream<NextLayer> socket_;
    beast::flat_buffer buffer_;
    std::size_t max_message_bytes_;
    asio::steady_timer guard_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool guard_fired_ = false;
    bool closed_ = false;
};

template <class Stream>
class http_stream_source final : public log_source {
public:
    http_stream_source(const strand_type& strand, std::shared_ptr<const session_settings> settings, std::string target)
        : settings_(std::move(settings)), target_(std::move(target)), resolver_(strand), stream_(make_stream(strand)) {}

    asio::awaitable<void> open(seconds connect_timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + to_steady(connect_timeout);
        co_await connect_layer(stream_, resolver_, *settings_, deadline);
        http::request<http::empty_body> request{http::verb::get, target_, 11};
        request.set(http::field::host, host_header(settings_->endpoint));
        for (const auto& [name, value] : settings_->headers) request.set(name, value);
        auto& lowest = beast::get_lowest_layer(stream_);
        lowest.expires_at(deadline);
        auto [write_ec, written] = co_await http::async_write(stream_, request, as_tuple_awaitable);
        (void)written;
        if (write_ec) fail_open(write_ec, closed_, "sending the log stream request failed");
        start_log_stream_parser(parser_);
        auto [header_ec, header_bytes] =
            co_await http::async_read_header(stream_, buffer_, *parser_, as_tuple_awaitable);
        (void)header_bytes;
        lowest.expires_never();
        if (header_ec) fail_open(header_ec, closed_, "reading the log stream header failed");
        const int status = static_cast<int>(parser_->get().result_int());
        if (status != 200) {
            std::string body;
            while (!parser_->is_done() && body.size() < max_error_body) {
                lowest.expires_at(deadline);
                auto chunk = co_await read_body_some();
                if (!chunk) break;
                body.append(*chunk);
            }
            throw http_status_error(status, std::move(body));
        }
    }

    asio::awaitable<std::optional<std::string_view>> read(std::optional<seconds> idle_timeout) override {
        auto& lowest = beast::get_lowest_layer(stream_);
        if (idle_timeout)
            lowest.expires_after(to_steady(*idle_timeout));
        else
            lowest.expires_never();
        auto chunk = co_await read_body_some();
        lowest.expires_never();
        co_return chunk;
    }

    void close() noexcept override {
        closed_ = true;
        close_now(resolver_, beast::get_lowest_layer(stream_));
    }

private:
    Stream make_stream(const strand_type& strand) {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            return Stream(beast::tcp_stream(strand), settings_->tls->native());
        } else {
            return Stream(strand);
        }
    }

    /// Reads until some body bytes arrived (chunk headers alone don't count) or the body ended.
    asio::awaitable<std::optional<std::string_view>> read_body_some() {
        for (;;) {
            if (parser_->is_done()) co_return std::nullopt;
            lend_chunk(*parser_, chunk_.get(), log_stream_chunk_size);
            auto [ec, bytes] = co_await http::async_read_some(stream_, buffer_, *parser_, as_tuple_awaitable);
            (void)bytes;
            const std::size_t received = log_stream_chunk_size - parser_->get().body().size;
            if (ec && ec != http::error::need_buffer) {
                if (ec == http::error::end_of_stream && parser_->is_done()) co_return std::nullopt;
                fail_read(ec, closed_, "log stream connection lost");
            }
            if (received > 0) co_return std::string_view(chunk_.get(), received);
        }
    }

    std::shared_ptr<const session_settings> settings_;
    std::string target_;
    tcp::resolver resolver_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<log_stream_parser> parser_;
    /// Not zero-filled: the kernel only makes resident the pages reads actually reach, so 1,000
    /// open streams of small chunks don't cost 64 MiB.
    std::unique_ptr<char[]> chunk_ = std::make_unique_for_overwrite<char[]>(log_stream_chunk_size);
    bool closed_ = false;
};

}  // namespace

std::unique_ptr<log_source> make_websocket_source(const strand_type& strand,
                                                  std::shared_ptr<const session_settings> settings, std::string target,
                                                  std::size_t max_message_bytes) {
    if (settings->tls)
        return std::make_unique<websocket_source<tls_stream>>(strand, std::move(settings), std::move(target),
                                                              max_message_bytes);
    return std::make_unique<websocket_source<beast::tcp_stream>>(strand, std::move(settings), std::move(target),
                                                                 max_message_bytes);
}

std::unique_ptr<log_source> make_http_stream_source(const strand_type& strand,
                                                    std::shared_ptr<const session_settings> settings,
                                                    std::string target) {
    if (settings->tls)
        return std::make_unique<http_stream_source<tls_stream>>(strand, std::move(settings), std::move(target));
    return std::make_unique<http_stream_source<beast::tcp_stream>>(strand, std::move(settings), std::move(target));
}

}  // namespace raycl::transport
