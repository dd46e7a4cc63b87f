// Internal to the fake dashboard: what its parts share. Tests include fake_dashboard.hpp, never this.
//
// The parts, one concern each:
//   fake_dashboard_server.cpp        listening, connections (plain or TLS), the HTTP/1.1 read loop,
//                                    the connection_io of each connection, stop(), the public accessors
//                                    (the one Beast TU)
//   fake_dashboard_dispatch.cpp      which answer a request gets: token check, expectations, routes,
//                                    built-ins, 599
//   fake_dashboard_replies.cpp       how an answer goes on the wire: encoding, chunked and streamed
//                                    bodies, every fault, raw responses, drips
//   fake_dashboard_websocket.cpp     WebSocket sessions: the upgrade, the scripts (frames, waits,
//                                    closes, drops, resets), the watch for the client closing
//   fake_dashboard_record.cpp        the request record: the recent requests and exact counters
//   fake_dashboard_generated_log.cpp the deterministic generated log lines
//
// Threading: dashboard_state is shared by the test thread and the server thread and guarded by its
// `mutex`; a connection_io is used on the server thread only.
#pragma once

#include "support/fake_dashboard.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::test::detail {

using std::chrono::milliseconds;

// -- text rules (fake_dashboard_dispatch.cpp) ------------------------------------------------------

std::string lower(std::string_view text);
/// The target without its query.
std::string_view path_of(std::string_view target);
/// Equal to the target (path and query), or, when the pattern ends in '*', a prefix of it.
bool target_matches(std::string_view pattern, std::string_view target);

// -- one connection's I/O (implemented in fake_dashboard_server.cpp) -------------------------------

/// An accepted connection as the reply and WebSocket code sees it, plain or TLS alike: only the
/// server knows Beast's stream types. Every operation ends early (false) once the connection is
/// closed, by either side or by stop().
class connection_io {
public:
    virtual ~connection_io() = default;
    /// Writes all of `bytes`; false when the write failed.
    virtual boost::asio::awaitable<bool> write(std::string_view bytes) = 0;
    /// The three pieces in one gathered write; false when it failed.
    virtual boost::asio::awaitable<bool> write(std::array<std::string_view, 3> pieces) = 0;
    /// Reads and discards whatever arrives; false at the end of the stream, on an error or once closed.
    virtual boost::asio::awaitable<bool> discard_some() = 0;
    /// Waits `delay`; false when the connection was closed meanwhile.
    virtual boost::asio::awaitable<bool> pause(milliseconds delay) = 0;
    /// Closes the connection (FIN, or a reset: SO_LINGER 0) and ends its pending operations. Idempotent.
    virtual void close(bool reset) = 0;
    virtual bool closed() const = 0;
};

// -- shared state ------------------------------------------------------------------------------------

struct route_entry {
    std::string method;
    std::string target;
    std::shared_ptr<fake_dashboard::route_handler> handler;
};

struct websocket_route_entry {
    std::string target;
    std::shared_ptr<fake_dashboard::websocket_handler> handler;
};

/// What an upgrade request gets: nothing special (no websocket route), an HTTP answer, or a script.
struct websocket_decision {
    bool matched = false;
    std::optional<reply> answer;
    websocket_script script;
};

/// The request record (fake_dashboard_record.cpp): a ring of the most recent requests, bodies cut
/// at a limit, and counters that never drop anything. Guarded by dashboard_state::mutex.
class request_record {
public:
    request_record(std::size_t capacity, std::size_t body_limit) : capacity_(capacity), body_limit_(body_limit) {}

    /// Counts `rec` and keeps a copy of it, its body cut at the limit, dropping the oldest when full.
    /// A tally's key function that throws is reported in `errors`.
    void add(const recorded_request& rec, std::vector<std::string>& errors);
    /// The requests kept, oldest first (a copy).
    std::vector<recorded_request> recent() const;
    std::uint64_t total() const { return total_; }
    /// Requests ever received with this method and a target matching `pattern` (target_matches).
    std::uint64_t count(std::string_view method, std::string_view pattern) const;
    request_tally& add_tally(std::mutex& mutex, std::string method, std::string target,
                             request_tally::key_function key);

private:
    using target_counts = std::map<std::string, std::uint64_t, std::less<>>;

    std::size_t capacity_;
    std::size_t body_limit_;
    std::deque<recorded_request> ring_;
    std::uint64_t total_ = 0;
    std::map<std::string, target_counts, std::less<>> by_method_;  // method -> target -> requests
    std::deque<std::unique_ptr<request_tally>> tallies_;
};

/// What the fake knows, shared by the test thread and the server thread: guarded by `mutex`
/// (except `opts`, const).
struct dashboard_state {
    explicit dashboard_state(fake_dashboard::options o)
        : opts(std::move(o)), record(opts.recorded_requests, opts.recorded_body_limit) {}

    const fake_dashboard::options opts;
    mutable std::mutex mutex;
    mutable std::condition_variable changed;  // notified on every change a wait_for_* watches

    std::deque<std::unique_ptr<expectation>> expectations;
    std::vector<route_entry> routes;
    std::vector<websocket_route_entry> websocket_routes;
    request_record record;
    std::vector<recorded_request> unmatched;
    std::vector<std::string> errors;
    std::uint64_t websocket_bytes = 0;
    std::size_t accepted = 0;
    std::size_t open = 0;
    std::size_t idle_connections = 0;  // connections waiting for their next request

    // Each takes the lock.
    void note_error(std::string what);
    void note_exception(std::exception_ptr e);
    void count_websocket_bytes(std::size_t n);

    // fake_dashboard_dispatch.cpp
    /// Records a complete request and counts it. The caller holds the lock.
    void record_request(const recorded_request& rec);
    /// With options::required_token: 401 or 403 when the request does not carry it.
    std::optional<reply> check_token(const recorded_request& rec) const;
    /// Records the request and picks its answer: token check, expectations, routes, built-ins, 599.
    reply respond_to(const recorded_request& rec);
};

/// The fake's access to an expectation's state (fake_dashboard_dispatch.cpp); callers hold the lock.
struct expectation_access {
    static std::unique_ptr<expectation> make(std::mutex& mutex, std::string method, std::string target);
    /// Consumes one use of `e` if it matches; returns its reply then.
    static std::optional<reply> try_consume(expectation& e, const recorded_request& rec);
    /// "METHOD TARGET (answered k of n)" when not yet satisfied.
    static std::optional<std::string> unmet(const expectation& e);
};

// -- HTTP replies (fake_dashboard_replies.cpp) -------------------------------------------------------

/// What the session does after a reply.
enum class next_step { keep_open, close, reset, stall };

/// Sends `r` as its script says (delay, faults, chunks, streams, raw bytes, drips); the session then
/// does what the result says. A HEAD request gets the header only.
boost::asio::awaitable<next_step> send_reply(connection_io& io, dashboard_state& state, const reply& r, bool keep_alive,
                                             bool head_request);

// -- WebSocket sessions (fake_dashboard_websocket.cpp) -----------------------------------------------

/// Records and decides an upgrade request (see fake_dashboard's dispatch rules): matched by no
/// websocket route, answered over HTTP (token, bad handshake, a throwing handler, a decline), or a script.
websocket_decision decide_websocket(dashboard_state& state, const recorded_request& rec);
/// After an accepted upgrade: 101, then the script, while the client is watched for closing.
/// Returns once the connection is closed and nothing uses it any more.
boost::asio::awaitable<void> serve_websocket(connection_io& io, dashboard_state& state, const recorded_request& rec,
                                             const websocket_script& script);

}  // namespace raycl::test::detail
