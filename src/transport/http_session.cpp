// Beast HTTP/1.1 client connections (plain or TLS through tcp_or_tls_stream) and the
// per-strand keep-alive pool.
#include "transport/http_session.hpp"

#include "transport/tcp_or_tls_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

namespace raycl::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using core::transport_failure;

namespace {

constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_recorded_chunks = 1u << 20;

http::verb to_verb(core::http_method method) {
    switch (method) {
        case core::http_method::get:
            return http::verb::get;
        case core::http_method::post:
            return http::verb::post;
        case core::http_method::put:
            return http::verb::put;
        case core::http_method::delete_:
            return http::verb::delete_;
    }
    return http::verb::get;
}

}  // namespace

/// One HTTP/1.1 connection, plain or TLS, used by one request at a time on one strand.
class connection {
public:
    connection(const strand_type& strand, const session_settings& settings) : stream_(strand, settings) {}

    /// Resolves, connects and (for https) handshakes before `deadline`.
    asio::awaitable<void> open(const session_settings& settings, std::chrono::steady_clock::time_point deadline) {
        co_await stream_.open(settings, deadline);
    }

    /// Writes the request and reads the whole response (bounded by `read_timeout`).
    asio::awaitable<http_response> exchange(const session_settings& settings, const http_request& request,
                                            seconds read_timeout, bool& keep_alive) {
        auto& lowest = stream_.tcp();
        lowest.expires_after(to_steady(read_timeout));
        bool body_cut_short = false;  // the server stopped taking the body: it may have answered
        if (request.body_file) {
            body_cut_short = co_await write_file_request(settings, request, read_timeout);
        } else {
            http::request<http::string_body> message{to_verb(request.method), request.target, 11};
            set_header(message, settings, request);
            if (!request.body.empty() || request.method == core::http_method::post ||
                request.method == core::http_method::put) {
                message.body() = request.body;
                message.prepare_payload();
            }
            // Beast serializes the message here, into one buffer kept for the connection's life,
            // which goes out in one write: cheaper than Beast's asynchronous write of the message,
            // which walks the header's buffer sequence on every write of the socket.
            serialize(message, wire_);
            auto [write_ec, written] = co_await asio::async_write(stream_, asio::buffer(wire_), as_tuple_awaitable);
            (void)written;
            if (wire_.capacity() > max_kept_request_bytes) std::string().swap(wire_);  // a large body: not kept
            if (write_ec) fail_exchange(write_ec, false);
        }

        http::response_parser<http::string_body> parser;
        parser.body_limit(settings.max_response_bytes);
        parser.header_limit(64 * 1024);
        std::vector<std::size_t> chunk_starts;
        auto on_chunk_header = [&](std::uint64_t size, beast::string_view, beast::error_code& ec) {
            if (size == 0) return;  // the last chunk
            // Bounded: a hostile server sending one-byte chunks must not grow this beyond 8 MiB.
            if (chunk_starts.size() >= max_recorded_chunks)
                ec = http::error::body_limit;
            else
                chunk_starts.push_back(parser.get().body().size());  // before the chunk's bytes
        };
        if (request.record_chunk_starts) parser.on_chunk_header(on_chunk_header);

        auto [read_ec, read] = co_await http::async_read(stream_, buffer_, parser, as_tuple_awaitable);
        (void)read;
        if (read_ec) fail_exchange(read_ec, parser.got_some());
        lowest.expires_never();
        ++responses_;
        auto& response = parser.get();
        keep_alive = !body_cut_short && response.keep_alive() && !parser.need_eof();
        http_response result;
        result.status = static_cast<int>(response.result_int());
        result.content_type = std::string(response[http::field::content_type]);
        result.body = std::move(response.body());
        result.chunk_starts = std::move(chunk_starts);
        co_return result;
    }

    /// Served at least one response, so a failure before any byte may mean "closed while idle".
    bool reused() const noexcept { return responses_ > 0; }

    /// Closes at once; pending operations complete with operation_aborted.
    void close() noexcept { stream_.close_now(); }

    bool is_open() noexcept { return stream_.is_open(); }

private:
    /// Replaces `out` with the bytes of `message` on the wire (Beast's serializer; nothing is
    /// written anywhere).
    void serialize(http::request<http::string_body>& message, std::string& out) {
        out.clear();
        http::request_serializer<http::string_body> serializer(message);
        beast::error_code ec;
        do {
            serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
                for (const auto piece : beast::buffers_range_ref(buffers))
                    out.append(static_cast<const char*>(piece.data()), piece.size());
                serializer.consume(beast::buffer_bytes(buffers));
            });
        } while (!ec && !serializer.is_done());
        if (ec) fail_exchange(ec, false);  // a string body does not fail; reported as a failed send
    }

    template <class Message>
    static void set_header(Message& message, const session_settings& settings, const http_request& request) {
        message.set(http::field::host, host_header(settings.endpoint));
        for (const auto& [name, value] : settings.headers) message.set(name, value);
        if (request.json_body) message.set(http::field::content_type, "application/json");
        message.keep_alive(true);
    }

    // The header, then the file in pieces read from its first byte, each piece written within
    // the read timeout. Returns true when the server closed or reset the connection before it
    // took the whole body: it may have answered first (a 413), which the caller then reads.
    asio::awaitable<bool> write_file_request(const session_settings& settings, const http_request& request,
                                             seconds read_timeout) {
        const core::file_body& body = *request.body_file;
        beast::file file;
        boost::system::error_code open_ec;
        file.open(body.path.c_str(), beast::file_mode::scan, open_ec);
        if (open_ec) throw failure(transport_failure::body_unreadable, "cannot open it: " + open_ec.message());

        http::request<http::empty_body> message{to_verb(request.method), request.target, 11};
        set_header(message, settings, request);
        message.content_length(body.size);
        http::request_serializer<http::empty_body> serializer(message);
        auto [header_ec, header_bytes] = co_await http::async_write_header(stream_, serializer, as_tuple_awaitable);
        (void)header_bytes;
        if (header_ec) fail_exchange(header_ec, false);

        const auto piece = std::make_unique<char[]>(upload_piece_bytes);
        auto& lowest = stream_.tcp();
        std::uint64_t sent = 0;
        if (body.progress) body.progress(0, body.size);
        while (sent < body.size) {
            const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(upload_piece_bytes, body.size - sent));
            boost::system::error_code read_ec;
            const std::size_t got = file.read(piece.get(), wanted, read_ec);
            if (read_ec) throw failure(transport_failure::body_unreadable, "cannot read it: " + read_ec.message());
            if (got == 0) throw failure(transport_failure::body_unreadable, "it became shorter while it was sent");
            lowest.expires_after(to_steady(read_timeout));
            auto [write_ec, written] =
                co_await asio::async_write(stream_, asio::buffer(piece.get(), got), as_tuple_awaitable);
            (void)written;
            if (write_ec) {
                if (is_closed_by_peer(write_ec)) co_return true;
                fail_exchange(write_ec, false);
            }
            sent += got;
            if (body.progress) body.progress(sent, body.size);
        }
        lowest.expires_after(to_steady(read_timeout));
        co_return false;
    }

    static bool is_closed_by_peer(boost::system::error_code ec) noexcept {
        return ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == asio::error::eof ||
               ec == ssl::error::stream_truncated;
    }

    [[noreturn]] void fail_exchange(boost::system::error_code ec, bool got_response_bytes) {
        if (ec == beast::error::timeout)
            throw failure(transport_failure::read_timeout, "no complete response within the read timeout");
        if (ec == asio::error::operation_aborted) throw failure(transport_failure::cancelled, "cancelled");
        if (ec == http::error::body_limit)
            throw failure(transport_failure::body_too_large, "response body exceeds the configured cap");
        const bool closed = ec == http::error::end_of_stream || ec == asio::error::eof ||
                            ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                            ec == http::error::partial_message || ec == ssl::error::stream_truncated ||
                            ec == asio::error::connection_aborted;
        if (closed && !got_response_bytes && reused())
            throw failure(transport_failure::stale_connection, "keep-alive connection closed by the server");
        if (closed) throw failure(transport_failure::connection_lost, "connection lost: " + ec.message());
        if (ec.category() == boost::system::error_code(http::error::end_of_stream).category() ||
            ec == http::error::header_limit)
            throw failure(transport_failure::malformed_response, ec.message());
        throw failure(transport_failure::connection_lost, "connection failed: " + ec.message());
    }

    tcp_or_tls_stream stream_;
    beast::flat_buffer buffer_;
    /// A pooled connection keeps the buffer of its last request up to this size.
    static constexpr std::size_t max_kept_request_bytes = 16 * 1024;
    std::string wire_;  ///< the request being written (its capacity kept for the next one)
    std::size_t responses_ = 0;
};

/// A request waiting for a free connection; leaves the queue when destroyed unless woken.
struct strand_session::waiter {
    waiter(const strand_type& strand, std::list<waiter*>& queue) : timer(strand), queue(queue) {
        queue.push_back(this);
    }
    ~waiter() {
        if (!woken) queue.remove(this);
    }
    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;

    asio::steady_timer timer;
    std::list<waiter*>& queue;
    bool woken = false;  ///< set by wake_one(), which also removed it from the queue
};

strand_session::strand_session(strand_type strand, std::shared_ptr<const session_settings> settings,
                               std::atomic<std::uint64_t>* opened_counter)
    : strand_(std::move(strand)), settings_(std::move(settings)), opened_counter_(opened_counter) {}

strand_session::~strand_session() = default;

asio::awaitable<std::unique_ptr<connection>> strand_session::acquire(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        while (!idle_.empty()) {
            auto conn = std::move(idle_.front());
            idle_.pop_front();
            if (conn->is_open()) {
                in_use_.push_back(conn.get());
                co_return conn;
            }
        }
        if (in_use_.size() < settings_->max_connections) break;
        co_await wait_for_room(deadline);
        if (shut_down_) throw failure(transport_failure::cancelled, "client is shut down");
    }
    auto conn = std::make_unique<connection>(strand_, *settings_);
    if (opened_counter_) ++*opened_counter_;
    in_use_.push_back(conn.get());
    try {
        co_await conn->open(*settings_, deadline);
    } catch (...) {
        finish_use(conn.get());
        throw;
    }
    co_return conn;
}

void strand_session::finish_use(connection* conn) noexcept {
    in_use_.remove(conn);
    wake_one();
}

asio::awaitable<void> strand_session::wait_for_room(std::chrono::steady_clock::time_point deadline) {
    waiter self(strand_, waiters_);
    self.timer.expires_at(deadline);
    boost::system::error_code ec;
    co_await self.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (self.woken) co_return;  // even if the deadline passed meanwhile: the room is ours
    if (ec == asio::error::operation_aborted)
        throw failure(transport_failure::cancelled, "cancelled while waiting for a free connection");
    throw failure(transport_failure::connect_timeout,
                  "every connection of the pool stayed busy for the connect timeout (" +
                      std::to_string(settings_->max_connections) + " per strand)");
}

void strand_session::wake_one() noexcept {
    if (waiters_.empty()) return;
    waiter* next = waiters_.front();
    waiters_.pop_front();
    next->woken = true;
    next->timer.cancel();
}

void strand_session::release(std::unique_ptr<connection> conn) {
    // A request waits: the connection is kept for it even above the idle bound.
    if (shut_down_ || (idle_.size() >= settings_->max_idle_connections && waiters_.empty())) {
        conn->close();
        return;
    }
    idle_.push_front(std::move(conn));  // most recently used first: least likely to be stale
}

asio::awaitable<http_response> strand_session::send(const http_request& request, seconds connect_timeout,
                                                    seconds read_timeout) {
    if (shut_down_) throw failure(transport_failure::cancelled, "client is shut down");
    auto conn = co_await acquire(std::chrono::steady_clock::now() + to_steady(connect_timeout));
    // The connection stays in use until this exchange is over, whatever the way out.
    struct in_use_lease {
        strand_session& session;
        connection* conn;
        ~in_use_lease() { session.finish_use(conn); }
    } lease{*this, conn.get()};
    if (shut_down_) throw failure(transport_failure::cancelled, "client is shut down");
    bool keep_alive = false;
    http_response response;
    try {
        response = co_await conn->exchange(*settings_, request, read_timeout, keep_alive);
    } catch (...) {
        conn->close();
        throw;
    }
    if (keep_alive)
        release(std::move(conn));
    else
        conn->close();
    co_return response;
}

void strand_session::shutdown() {
    shut_down_ = true;
    for (auto* conn : in_use_) conn->close();
    for (auto& conn : idle_) conn->close();
    idle_.clear();
    while (!waiters_.empty()) wake_one();
}

}  // namespace raycl::transport
