// Log sources over Beast: the WebSocket tail and the HTTP chunked stream, both over the one
// plain-or-TLS stream.
#include "transport/log_source.hpp"

#include "transport/log_stream_parser.hpp"
#include "transport/tcp_or_tls_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace raycl::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using core::transport_failure;

namespace {

constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_error_body = 64 * 1024;

/// Maps a failed read to the transport's failure.
[[noreturn]] void fail_read(boost::system::error_code ec, bool closed_by_us, std::string_view what) {
    if (closed_by_us || ec == asio::error::operation_aborted)
        throw failure(transport_failure::cancelled, "log stream closed");
    if (ec == beast::error::timeout) throw failure(transport_failure::read_timeout, std::string(what) + ": timed out");
    throw failure(transport_failure::connection_lost, std::string(what) + ": " + ec.message());
}

/// Maps a failure while opening (before any log data): a timeout there is a connection attempt
/// that took longer than the connect timeout, retried like one.
[[noreturn]] void fail_open(boost::system::error_code ec, bool closed_by_us, std::string_view what) {
    if (ec == beast::error::timeout && !closed_by_us)
        throw failure(transport_failure::connect_timeout, std::string(what) + ": timed out");
    fail_read(ec, closed_by_us, what);
}

class websocket_source final : public log_source {
public:
    websocket_source(const strand_type& strand, std::shared_ptr<const session_settings> settings, std::string target,
                     std::size_t max_message_bytes)
        : settings_(std::move(settings)),
          target_(std::move(target)),
          socket_(strand, *settings_),
          max_message_bytes_(max_message_bytes) {
        // The cap is enforced in read(): Beast's own check fails the connection with a close
        // handshake, where raycl just closes.
        socket_.read_message_max(0);
    }

    asio::awaitable<std::optional<refusal>> open(seconds connect_timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + to_steady(connect_timeout);
        co_await socket_.next_layer().open(*settings_, deadline);
        // Beast's own timeouts bound the opening and the closing handshake (a server breaking the
        // protocol makes Beast fail the connection with a close frame); silence between messages
        // is the tail's business.
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = to_steady(connect_timeout);
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        socket_.set_option(timeouts);
        socket_.set_option(
            websocket::stream_base::decorator([headers = settings_->headers](websocket::request_type& request) {
                for (const auto& [name, value] : headers) request.set(name, value);
            }));
        websocket::response_type response;
        auto [ec] =
            co_await socket_.async_handshake(response, host_header(settings_->endpoint), target_, as_tuple_awaitable);
        if (ec == websocket::error::upgrade_declined)
            co_return refusal{static_cast<int>(response.result_int()), response.body()};
        if (ec) fail_open(ec, closed_, "WebSocket handshake failed");
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<std::span<const log_piece>>> read() override {
        if (std::exchange(too_large_, false)) throw too_large();
        buffer_.consume(buffer_.size());
        ends_.clear();
        if (holds_burst_capacity() && !socket_.next_layer().data_waiting()) release_capacity();
        boost::system::error_code ec = std::exchange(deferred_error_, {});
        while (!ec) {
            const std::size_t start = buffer_.size();
            do {
                auto [read_ec, bytes] = co_await socket_.async_read_some(
                    buffer_, max_message_bytes_ + 1 - (buffer_.size() - start), as_tuple_awaitable);
                (void)bytes;
                ec = read_ec;
            } while (!ec && buffer_.size() - start <= max_message_bytes_ && !socket_.is_message_done());
            if (ec) break;
            if (buffer_.size() - start > max_message_bytes_) {
                if (ends_.empty()) throw too_large();
                too_large_ = true;  // after the messages before it
                break;
            }
            ends_.push_back(buffer_.size());
            // Messages already read from the socket are taken at once, so one call delivers up
            // to a socket read's worth instead of one frame of ~10 lines. A message whose rest
            // is still on the way waits for it (a server writes each message at once).
            if (socket_.next_layer().buffered() == 0 || buffer_.size() >= tcp_or_tls_stream::read_buffer_size) break;
        }
        if (ec && !ends_.empty()) deferred_error_ = std::exchange(ec, {});  // after these messages
        if (!ec) {
            const auto* data = static_cast<const char*>(buffer_.cdata().data());
            pieces_.clear();
            std::size_t begin = 0;
            for (const std::size_t end : ends_) {
                pieces_.push_back(log_piece{std::string_view(data + begin, end - begin), true});
                begin = end;
            }
            co_return std::span<const log_piece>(pieces_);
        }
        // Over TLS a server that skips close_notify after its close frame shows as a truncated stream.
        if (ec == websocket::error::closed ||
            (ec == asio::ssl::error::stream_truncated && socket_.reason().code != websocket::close_code::none)) {
            if (socket_.reason().code == websocket::close_code::normal) co_return std::nullopt;
            throw failure(transport_failure::connection_lost,
                          "WebSocket closed with code " + std::to_string(socket_.reason().code));
        }
        fail_read(ec, closed_, "WebSocket connection lost");
    }

    void close() noexcept override {
        closed_ = true;
        socket_.next_layer().close_now();
    }

private:
    std::shared_ptr<const session_settings> settings_;
    std::string target_;
    websocket::stream<tcp_or_tls_stream> socket_;
    beast::flat_buffer buffer_;
    std::vector<std::size_t> ends_;  ///< where each message of the last read ends in buffer_
    std::vector<log_piece> pieces_;  ///< the messages of the last read
    boost::system::error_code deferred_error_;
    bool too_large_ = false;  ///< a message over the cap followed the messages of the last read

    // What a quiet tail keeps between reads: one message of Ray's (~10 lines) fits.
    static constexpr std::size_t kept_bytes = 4096;
    static constexpr std::size_t kept_messages = 16;

    bool holds_burst_capacity() const noexcept {
        return buffer_.capacity() > kept_bytes || ends_.capacity() > kept_messages ||
               pieces_.capacity() > kept_messages;
    }

    /// The next read will probably wait for the server: the capacity a burst left (a
    /// reconnect's replay, up to a socket read's worth of messages) is given back instead of
    /// being kept by every quiet tail (the soak's RSS grew with the log length otherwise).
    void release_capacity() noexcept {
        if (buffer_.capacity() > kept_bytes) buffer_.shrink_to_fit();
        if (ends_.capacity() > kept_messages) ends_ = std::vector<std::size_t>();
        if (pieces_.capacity() > kept_messages) pieces_ = std::vector<log_piece>();
    }

    static failure too_large() {
        return failure(transport_failure::body_too_large, "WebSocket message larger than the frame cap");
    }
    std::size_t max_message_bytes_;
    bool closed_ = false;
};

class http_stream_source final : public log_source {
public:
    http_stream_source(const strand_type& strand, std::shared_ptr<const session_settings> settings, std::string target)
        : settings_(std::move(settings)), target_(std::move(target)), stream_(strand, *settings_) {}

    asio::awaitable<std::optional<refusal>> open(seconds connect_timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + to_steady(connect_timeout);
        co_await stream_.open(*settings_, deadline);
        http::request<http::empty_body> request{http::verb::get, target_, 11};
        request.set(http::field::host, host_header(settings_->endpoint));
        for (const auto& [name, value] : settings_->headers) request.set(name, value);
        auto& lowest = stream_.tcp();
        lowest.expires_at(deadline);
        auto [write_ec, written] = co_await http::async_write(stream_, request, as_tuple_awaitable);
        (void)written;
        if (write_ec) fail_open(write_ec, closed_, "sending the log stream request failed");
        body_.emplace();
        auto [header_ec, header_bytes] =
            co_await http::async_read_header(stream_, buffer_, body_->parser(), as_tuple_awaitable);
        (void)header_bytes;
        if (header_ec) fail_open(header_ec, closed_, "reading the log stream header failed");
        const int status = static_cast<int>(body_->parser().get().result_int());
        if (status == 200) {
            lowest.expires_never();
            co_return std::nullopt;
        }
        refusal refused{status, {}};
        while (!body_->parser().is_done() && refused.body.size() < max_error_body) {
            auto piece = co_await read_body_some();
            if (!piece) break;
            refused.body.append(piece->data);
        }
        lowest.expires_never();
        co_return refused;
    }

    asio::awaitable<std::optional<std::span<const log_piece>>> read() override {
        auto piece = co_await read_body_some();
        if (!piece) co_return std::nullopt;
        piece_ = *piece;
        co_return std::span<const log_piece>(&piece_, 1);
    }

    void close() noexcept override {
        closed_ = true;
        stream_.close_now();
    }

private:
    /// Reads until some body bytes arrived (chunk headers alone don't count) or the body ended.
    /// One read parses a chunk header or a piece of one chunk (log_stream_body), so the bytes
    /// returned never span two chunks.
    asio::awaitable<std::optional<log_piece>> read_body_some() {
        auto& parser = body_->parser();
        for (;;) {
            if (parser.is_done()) co_return std::nullopt;
            size_buffer();
            body_->lend(chunk_.get(), log_stream_chunk_size);
            auto [ec, bytes] = co_await http::async_read_some(stream_, buffer_, parser, as_tuple_awaitable);
            (void)bytes;
            const std::size_t received = body_->received(log_stream_chunk_size);
            if (ec && ec != http::error::need_buffer) {
                if (ec == http::error::end_of_stream && parser.is_done()) co_return std::nullopt;
                fail_read(ec, closed_, "log stream connection lost");
            }
            if (received > 0) co_return log_piece{std::string_view(chunk_.get(), received), body_->take_chunk_start()};
        }
    }

    /// Beast reads as much as the buffer has room for (512 bytes at first): while bytes wait,
    /// room for one socket read of 64 KiB; before a read that will probably wait, the room is
    /// given back (kept, every quiet stream would hold its last replay's pages resident).
    void size_buffer() {
        constexpr std::size_t kept_bytes = 4096;
        if (stream_.data_waiting()) {
            if (buffer_.capacity() < tcp_or_tls_stream::read_buffer_size)
                buffer_.reserve(tcp_or_tls_stream::read_buffer_size);
        } else if (buffer_.capacity() > kept_bytes) {
            buffer_.shrink_to_fit();
        }
    }

    std::shared_ptr<const session_settings> settings_;
    std::string target_;
    tcp_or_tls_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<log_stream_body> body_;
    log_piece piece_;  ///< the bytes of the last read
    /// Not zero-filled: the kernel only makes resident the pages reads actually reach, so 1,000
    /// open streams of small chunks don't cost 64 MiB.
    std::unique_ptr<char[]> chunk_ = std::make_unique_for_overwrite<char[]>(log_stream_chunk_size);
    bool closed_ = false;
};

}  // namespace

std::unique_ptr<log_source> make_websocket_source(const strand_type& strand,
                                                  std::shared_ptr<const session_settings> settings, std::string target,
                                                  std::size_t max_message_bytes) {
    return std::make_unique<websocket_source>(strand, std::move(settings), std::move(target), max_message_bytes);
}

std::unique_ptr<log_source> make_http_stream_source(const strand_type& strand,
                                                    std::shared_ptr<const session_settings> settings,
                                                    std::string target) {
    return std::make_unique<http_stream_source>(strand, std::move(settings), std::move(target));
}

}  // namespace raycl::transport
