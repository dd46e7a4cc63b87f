// HTTP/1.1 transport over Beast: keep-alive connections (plain or TLS) owned by one strand.
// This header stays free of Beast; the heavy code lives in http_session.cpp.
#pragma once

#include "core/error_mapping.hpp"
#include "core/requests.hpp"
#include "core/validation.hpp"

#include <raycl/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace raycl::transport {

/// The strands of a client. Over the io_context's own executor type, not `any_io_executor`: a
/// strand of that fits in an `any_io_executor`'s inline storage, so the work tracking of each
/// asynchronous operation allocates nothing (a strand of `any_io_executor` did, several times
/// per read and write).
using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

/// A request as the transport sends it (target already includes the base path).
struct http_request {
    core::http_method method = core::http_method::get;
    std::string target;
    std::string body;
    bool json_body = false;
    /// When set, the body is streamed from this file, from its first byte at every send, in
    /// pieces of at most `upload_piece_bytes`; memory does not grow with its size.
    std::shared_ptr<const core::file_body> body_file{};
    /// Record where the response's HTTP chunks start (http_response::chunk_starts).
    bool record_chunk_starts = false;
};

/// Largest piece of a file body held in memory at once.
inline constexpr std::size_t upload_piece_bytes = std::size_t{256} << 10;

/// A complete response.
struct http_response {
    int status = 0;
    std::string body;
    std::string content_type;
    /// Offsets in `body` where the server's HTTP chunks start (empty when the body was not
    /// chunked): Ray <= 2.44 frames `/api/v0/logs/*` bodies per chunk (core/log_framing.hpp).
    std::vector<std::size_t> chunk_starts;
};

/// The transport's one exception: an operation failed below HTTP. `reason()` is all the facade
/// needs (core::map_failure gives its error code and retry class); `detail()` is the low-level
/// text for the message (sanitized by the facade before it reaches a client_error).
class failure : public std::exception {
public:
    failure(core::transport_failure reason, std::string detail) : reason_(reason), detail_(std::move(detail)) {}
    core::transport_failure reason() const noexcept { return reason_; }
    const std::string& detail() const noexcept { return detail_; }
    const char* what() const noexcept override { return detail_.c_str(); }

private:
    core::transport_failure reason_;
    std::string detail_;
};

/// Opaque TLS client context (OpenSSL), shared by every connection of a client.
class tls_context;

/// Builds the TLS context: system CAs, the optional CA file, peer verification on unless
/// disabled. Throws client_error 400 when the CA file cannot be loaded.
std::shared_ptr<tls_context> make_tls_context(const tls_options& options);

/// Everything a connection needs to talk to one dashboard; immutable once built.
struct session_settings {
    core::endpoint endpoint;
    /// Headers sent with every request (User-Agent, auth, cookies, extra headers).
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t max_response_bytes = 0;
    std::size_t max_idle_connections = 0;
    /// Connections of one strand_session open at once (opening, in use); more requests wait.
    std::size_t max_connections = 20;
    std::shared_ptr<tls_context> tls;  ///< set for https
};

class connection;

/// The connections of one strand: an idle keep-alive pool and the set in use, at most
/// `session_settings::max_connections` open at once (opening or in use); a request beyond that
/// waits, in arrival order, for one to come free. Every member function must be called on
/// `strand()`.
class strand_session {
public:
    /// `opened_counter`, when given, is incremented for every connection opened (shared by
    /// the strands of one client).
    strand_session(strand_type strand, std::shared_ptr<const session_settings> settings,
                   std::atomic<std::uint64_t>* opened_counter = nullptr);
    ~strand_session();
    strand_session(const strand_session&) = delete;
    strand_session& operator=(const strand_session&) = delete;

    const strand_type& strand() const noexcept { return strand_; }

    /// Sends one request and reads its response on a pooled or new connection. Throws
    /// transport::failure (a pooled connection the server had closed is `stale_connection`).
    /// Honours the awaiting coroutine's cancellation: the connection is then closed.
    /// `connect_timeout` bounds the wait for a free connection and the opening of a new one
    /// together (`connect_timeout` when it runs out).
    /// `read_timeout` bounds the whole exchange, except for a file body: each of its pieces
    /// must then be written within it (a stalled upload is a `read_timeout`), and the response
    /// read after the body within it again. A server that answers before taking the whole body
    /// (a 413) and closes is heard: its answer is returned.
    boost::asio::awaitable<http_response> send(const http_request& request, seconds connect_timeout,
                                               seconds read_timeout);

    /// Closes idle and in-use connections and wakes waiting requests; later sends fail with
    /// `cancelled`.
    void shutdown();

private:
    struct waiter;

    boost::asio::awaitable<std::unique_ptr<connection>> acquire(std::chrono::steady_clock::time_point deadline);
    void release(std::unique_ptr<connection> conn);
    /// `conn` (opening or exchanging) is no longer in use: the next waiting request may go.
    void finish_use(connection* conn) noexcept;
    /// Waits until woken by wake_one() (then the caller looks again), or throws `cancelled`
    /// (cancellation, shutdown) or `connect_timeout` (`deadline` passed).
    boost::asio::awaitable<void> wait_for_room(std::chrono::steady_clock::time_point deadline);
    /// Wakes the request that has waited longest, if any.
    void wake_one() noexcept;

    strand_type strand_;
    std::shared_ptr<const session_settings> settings_;
    std::list<std::unique_ptr<connection>> idle_;
    std::list<connection*> in_use_;  ///< opening or exchanging: at most max_connections
    std::list<waiter*> waiters_;
    std::atomic<std::uint64_t>* opened_counter_ = nullptr;
    bool shut_down_ = false;
};

}  // namespace raycl::transport
