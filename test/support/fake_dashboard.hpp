// A scripted, in-process Ray dashboard for raycl's component tests.
//
// In the spirit of Boost.MQTT5's fake broker: each test says which requests it expects and how
// the "dashboard" answers them, including the bad days (delays, dropped connections, truncated
// or dripping bodies, garbage instead of HTTP):
//
//     raycl::test::fake_dashboard dashboard;
//     dashboard.expect("GET", "/api/jobs/raysubmit_1").reply_with(reply::json(200, job_json), after(50ms));
//     ... drive the client against dashboard.address() ...
//
// The server is HTTP/1.1 (keep-alive by default) on 127.0.0.1 with an ephemeral port,
// optionally TLS with the committed test certificates (test/fixtures/tls). It runs its own
// io_context on its own thread, so a test drives the client on another io_context (or
// synchronously) without sharing executors. Every public member is thread-safe, except where
// noted. This header deliberately includes no Beast/Asio: the server lives in the
// fake_dashboard_*.cpp files (their parts are listed in fake_dashboard_impl.hpp).
//
// Log tails (see docs/ray-api-notes.md, "Log over HTTP" and "WebSocket tail"):
//  - WebSocket: websocket_route() answers upgrade requests with a websocket_script (frames,
//    waits, close codes, drops, resets, stalls), or declines the upgrade with an HTTP reply;
//  - HTTP stream: reply::stream() produces a chunked body on the fly, optionally never ending;
//  - generated_log_line()/generated_log() make deterministic logs of any size, so a test can
//    send hundreds of MiB and check what the client got line by line without storing it.
//
//     dashboard.websocket_route("/api/jobs/raysubmit_1/logs/tail", [](const recorded_request&) {
//       return websocket_script{}.send_lines(0, 2'000).wait(50ms).close(1000);
//     });
//     dashboard.expect("GET", "/api/v0/logs/stream*").reply_with(
//         reply::stream(generated_chunks(0, 100)).never_ending());
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl::test {

/// One HTTP request as the fake dashboard received it.
struct recorded_request {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< path and query exactly as sent, e.g. "/api/jobs/?limit=5"
    std::string body;    ///< the complete request body
    /// Header fields with lower-case names; repeated fields are joined with ", ".
    std::map<std::string, std::string> headers;
    std::size_t connection_id = 0;  ///< 1 for the first accepted connection, 2 for the next, ...
    /// The body's size as received. requests() keeps at most options::recorded_body_limit bytes of
    /// a body (then body.size() < body_size); routes, expectations and tallies see it whole.
    std::size_t body_size = 0;

    /// The header's value, or "" when absent. `name` is lower-case.
    std::string header(const std::string& name) const;
};

/// How the fake dashboard misbehaves when it answers.
enum class fault {
    none,
    close_before_headers,   ///< read the request, then close the socket (FIN) without answering
    reset_before_headers,   ///< same, but with a TCP reset (SO_LINGER 0)
    close_mid_body,         ///< send the header and `fault_after_bytes` bytes of the body, then close
    stall_before_headers,   ///< read the request and never answer (until the client closes or stop())
    stall_mid_body,         ///< send the header and `fault_after_bytes` bytes of the body, then stall
    stall_before_end,       ///< send everything but the end of the body (the last chunk of a
                            ///< chunked body, else the last byte), then stall: a stream that never ends
    drip_body,              ///< send the body `drip_bytes` at a time, every `drip_interval`
    malformed_status_line,  ///< send garbage instead of an HTTP response, then close
    close_before_end,       ///< like stall_before_end, but then close (FIN): a stream cut short
};

/// How a reply::raw_response ends after its bytes went out.
enum class raw_end {
    close,  ///< close the connection (FIN)
    reset,  ///< reset the connection (SO_LINGER 0)
    stall,  ///< send nothing more until the client (or stop()) closes the connection
};

/// Produces a streamed body one chunk at a time (see reply::stream).
using chunk_source = std::function<std::optional<std::string>()>;

/// What the fake dashboard answers. Body positions (`fault_after_bytes`, drips) count the
/// bytes of the body as they go on the wire, after chunked encoding.
struct reply {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra header fields
    std::chrono::milliseconds delay{0};                        ///< wait before sending anything

    fault fault_kind = fault::none;
    std::size_t fault_after_bytes = 0;            ///< for close_mid_body and stall_mid_body
    std::size_t drip_bytes = 1;                   ///< for drip_body
    std::chrono::milliseconds drip_interval{10};  ///< for drip_body

    /// Send the body with `Transfer-Encoding: chunked`: as `chunks` when not empty, else `body`
    /// as one chunk. `chunk_interval` is waited before each chunk after the first.
    bool chunked = false;
    std::vector<std::string> chunks;
    std::chrono::milliseconds chunk_interval{0};

    bool close_connection = false;  ///< answer with `Connection: close`, then close (FIN)

    /// A streamed chunked body (see reply::stream); when set, `body` and `chunks` are ignored.
    chunk_source next_chunk;

    /// When set (reply::raw_response): these bytes go on the wire as they are, status line and
    /// header included, then the connection ends as `raw_ending` says. `delay` applies, and
    /// dripping() sends them `drip_bytes` at a time (a slowloris server dripping its header).
    std::optional<std::string> raw;
    raw_end raw_ending = raw_end::close;

    /// A JSON reply: `reply::json(200, R"({"stopped": true})")`.
    static reply json(int status, std::string body);
    /// A plain-text reply, as Ray sends its errors: `reply::text(404, "Job x does not exist")`.
    static reply text(int status, std::string body);
    /// Exactly these bytes instead of an encoded response (e.g. a header cut short, a broken
    /// chunk size), then `ending`: `reply::raw_response("HTTP/1.1 200 OK\r\nContent-Le", raw_end::reset)`.
    static reply raw_response(std::string bytes, raw_end ending = raw_end::close);
    /// A chunked reply made of exactly these chunks (`text/plain`, like Ray's log stream).
    static reply chunked_text(int status, std::vector<std::string> chunks,
                              std::chrono::milliseconds interval = std::chrono::milliseconds{0});

    reply& after(std::chrono::milliseconds d) {
        delay = d;
        return *this;
    }
    reply& with_fault(fault kind, std::size_t after_bytes = 0) {
        fault_kind = kind;
        fault_after_bytes = after_bytes;
        return *this;
    }
    reply& dripping(std::size_t bytes, std::chrono::milliseconds interval) {
        fault_kind = fault::drip_body;
        drip_bytes = bytes == 0 ? 1 : bytes;
        drip_interval = interval;
        return *this;
    }
    reply& with_header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    /// A chunked `text/plain` body produced on the fly, as Ray's /api/v0/logs/{file,stream}:
    /// the fake calls `next_chunk()` on the server thread and sends each chunk it returns (one
    /// HTTP chunk each), waiting `interval` between calls, and ends the body when it returns
    /// std::nullopt. An empty string means "nothing yet": nothing is sent and it is asked again
    /// after `interval` (at least 5 ms), like Ray polling the log file. Each write is awaited
    /// before the next call, so a slow client slows the source down (TCP back-pressure) and
    /// nothing is queued. Ends instead of ending the body: never_ending() (stall, like
    /// /logs/stream), with_fault(fault::close_before_end) (FIN), with_fault(close_mid_body or
    /// stall_mid_body, n) after n body bytes on the wire. `delay` and the faults before the
    /// headers apply; drip_body does not. An exception from `next_chunk` closes the connection
    /// (no last chunk) and is kept in server_errors(). The function is copied with the reply:
    /// each request an expectation answers starts from the state it was scripted with; share
    /// state between answers through a std::shared_ptr.
    static reply stream(chunk_source next_chunk, std::chrono::milliseconds interval = std::chrono::milliseconds{0});

    reply& as_chunked() {
        chunked = true;
        return *this;
    }
    reply& closing() {
        close_connection = true;
        return *this;
    }
    /// Send everything but the end of the body, then stall until the client (or stop()) closes.
    reply& never_ending() { return with_fault(fault::stall_before_end); }
};

/// `data` as one chunk of a chunked HTTP body ("<hex size>\r\n<data>\r\n"), for raw_response.
std::string chunk_encoded(std::string_view data);

/// Line `i` of the fake's deterministic log: "line <i> " followed by a filler that depends only
/// on `i`, printable ASCII without newline, 20 to 200 bytes in all (the number makes it longer
/// for i of 15 digits and more). Fast: a test can generate hundreds of MiB.
std::string generated_log_line(std::uint64_t i);
/// Appends generated_log_line(i) and '\n' to `out` (no temporary string).
void append_generated_log_line(std::string& out, std::uint64_t i);
/// Lines first .. first+count-1, each followed by '\n'.
std::string generated_log(std::uint64_t first, std::uint64_t count);
/// generated_log(first, count).size(), without building it.
std::uint64_t generated_log_size(std::uint64_t first, std::uint64_t count);
/// A reply::stream source of generated lines first .. first+count-1, `lines_per_chunk` lines per
/// chunk, then std::nullopt.
chunk_source generated_chunks(std::uint64_t first, std::uint64_t count, std::size_t lines_per_chunk = 10);

/// What the fake does with a WebSocket upgrade request (see fake_dashboard::websocket_route):
/// decline it with an HTTP reply, or accept it and run these steps in order. After the last
/// step the connection stays open, sending nothing, until the client closes it or stop()
/// (as stall()); end a script with close(), drop() or reset() to end the connection.
///
/// Like Ray, the server never answers anything the client sends (not even a close frame: a
/// client's close handshake is not answered, so a client must bound it with a timeout); it
/// only watches for the client closing the TCP connection, which ends the script at once.
class websocket_script {
public:
    enum class action { text, lines, raw, wait, wait_until, close, drop, reset, stall, hold_open };
    struct step {
        action kind = action::stall;
        std::string data;                       ///< text: the frame; raw: the bytes; close: the reason
        std::uint64_t first = 0, count = 0;     ///< lines
        std::size_t lines_per_frame = 10;       ///< lines
        std::size_t max_frame_bytes = 0;        ///< lines: 0 = no limit
        std::chrono::milliseconds duration{0};  ///< wait
        std::function<bool()> condition;        ///< wait_until
        std::uint16_t code = 1000;              ///< close
    };

    /// Accept the upgrade (101) and run no step yet.
    websocket_script() = default;
    /// Answer the upgrade request with this HTTP reply instead (no upgrade), e.g.
    /// `websocket_script::decline(reply::text(404, "Job x does not exist"))`.
    static websocket_script decline(reply r);

    /// One TEXT frame with this payload (may be empty).
    websocket_script& send_text(std::string frame);
    /// The generated lines first .. first+count-1 (generated_log), as TEXT frames of up to
    /// `lines_per_frame` lines each (Ray: 10). With `max_frame_bytes` > 0 a frame also ends after
    /// that many bytes, in the middle of a line if need be (Ray: about 20,000), and the rest of the
    /// line starts the next frame. Built in a reused buffer, several frames per write: fast.
    websocket_script& send_lines(std::uint64_t first, std::uint64_t count, std::size_t lines_per_frame = 10,
                                 std::size_t max_frame_bytes = 0);
    /// These bytes as they are, e.g. a malformed frame.
    websocket_script& send_raw(std::string bytes);
    /// Send nothing for `duration`.
    websocket_script& wait(std::chrono::milliseconds duration);
    /// Send nothing until `condition()` holds, asked every ~5 ms on the server thread without any
    /// lock held (it may call the fake's accessors, not stop()). A throw is kept in
    /// server_errors() and drops the connection.
    websocket_script& wait_until(std::function<bool()> condition);
    /// A close frame with this code (1000 normal; 1011, 4000, ... as a test needs) and reason,
    /// then wait up to 2 s for the client's close reply (any bytes) or FIN, then close (FIN).
    /// Code 0 sends a close frame without a code (the client reports 1005, "no status").
    websocket_script& close(std::uint16_t code = 1000, std::string reason = {});
    /// Close the TCP connection (FIN) without a close frame: the client sees an abnormal close (1006).
    websocket_script& drop();
    /// Reset the TCP connection (SO_LINGER 0).
    websocket_script& reset();
    /// Send nothing more until the client closes the connection or stop().
    websocket_script& stall();
    /// Send nothing more and keep the connection open even after the client shut down its
    /// sending side (a half-close, which ends stall()): a server that never closes, as Ray does
    /// not after a client fails the connection. The fake notices the client fully closing its
    /// socket by writing one byte every 50 ms until a write fails (a half-closed client reads
    /// and discards them). Ends at the latest at stop().
    websocket_script& hold_open();

    bool declined() const { return declined_.has_value(); }
    const std::optional<reply>& decline_reply() const { return declined_; }
    const std::vector<step>& steps() const { return steps_; }

private:
    websocket_script& add(action kind, std::function<void(step&)> fill = {});

    std::optional<reply> declined_;
    std::vector<step> steps_;
};

/// A delay before a reply, as in `reply_with(reply::json(200, "{}"), after(20ms))`.
struct reply_delay {
    std::chrono::milliseconds value;
};
inline reply_delay after(std::chrono::milliseconds d) {
    return reply_delay{d};
}

namespace detail {
struct expectation_access;
class request_record;
}  // namespace detail

/// A scripted answer to the next request(s) matching a method and a target.
/// Made by fake_dashboard::expect(); lives as long as the fake dashboard. Thread-safe.
class expectation {
public:
    /// The answer (default: 200 with an empty body).
    expectation& reply_with(reply r);
    expectation& reply_with(reply r, reply_delay delay);
    /// Answer `n` matching requests (default 1), then step aside for later expectations.
    expectation& times(std::size_t n);
    /// Answer every matching request; never reported as unmet.
    expectation& repeatedly();
    /// An extra condition on the request, e.g. on its body. Called on the server thread with the
    /// fake's lock held: it must not call the fake dashboard. A throw counts as no match.
    expectation& matching(std::function<bool(const recorded_request&)> predicate);

    /// How many requests it answered so far.
    std::size_t match_count() const;
    /// True when it answered as many requests as expected (always true for repeatedly()).
    bool satisfied() const;

    expectation(const expectation&) = delete;
    expectation& operator=(const expectation&) = delete;

private:
    friend struct detail::expectation_access;
    expectation(std::mutex& mutex, std::string method, std::string target)
        : mutex_(mutex), method_(std::move(method)), target_(std::move(target)) {}

    std::mutex& mutex_;  // the fake dashboard's: guards everything below
    std::string method_;
    std::string target_;
    std::function<bool(const recorded_request&)> predicate_;
    reply reply_;
    std::size_t expected_ = 1;
    bool unlimited_ = false;
    std::size_t matched_ = 0;
};

/// Exact counts of the requests matching a method and a target, grouped by a key computed from
/// each request: made by fake_dashboard::tally(), it counts every matching request received from
/// then on, however many of them requests() has dropped since. Lives as long as the fake
/// dashboard. Thread-safe. For "exactly one job per submission id" over thousands of submits:
///
///     auto& submits = dashboard.tally("POST", "/api/jobs/", [](const recorded_request& r) {
///         return std::string(json::parse(r.body).at("submission_id").as_string());
///     });
///     ... the submits ...
///     for (const auto& [id, n] : submits.counts()) BOOST_TEST(n == 1u, id);
///
/// Memory: about 80 bytes per distinct key, plus the key when longer than 15 bytes.
class request_tally {
public:
    /// The key of a request (e.g. the submission id in its body), given the whole request (its body
    /// not cut). Called on the server thread with the fake's lock held: it must not call the fake
    /// dashboard. A throw counts the request in total() only, and is kept in server_errors().
    using key_function = std::function<std::string(const recorded_request&)>;

    /// Matching requests counted so far.
    std::uint64_t total() const;
    /// Matching requests counted so far whose key was `key`.
    std::uint64_t count(const std::string& key) const;
    /// Every key counted so far, with its count (a copy). Empty without a key function.
    std::map<std::string, std::uint64_t> counts() const;

    request_tally(const request_tally&) = delete;
    request_tally& operator=(const request_tally&) = delete;

private:
    friend class detail::request_record;
    request_tally(std::mutex& mutex, std::string method, std::string target, key_function key)
        : mutex_(mutex), method_(std::move(method)), target_(std::move(target)), key_(std::move(key)) {}

    std::mutex& mutex_;  // the fake dashboard's: guards everything below
    std::string method_;
    std::string target_;
    key_function key_;
    std::uint64_t total_ = 0;
    std::map<std::string, std::uint64_t> counts_;
};

/// The path of a file of test/fixtures/tls, e.g. tls_fixture("ca.pem").
std::string tls_fixture(std::string_view file_name);

/// A scripted Ray dashboard on 127.0.0.1. See the top of this file.
///
/// Request dispatch, in order:
///  1. with `options::required_token` set, every request except `GET /api/authentication_mode`
///     must carry the token like Ray 2.52+ expects it (`Authorization: Bearer`, else
///     `X-Ray-Authorization: Bearer`, else cookie `ray-authentication-token`; the first one
///     present is the one checked): missing -> 401, wrong -> 403, plain text;
///  2. the first unconsumed expectation matching method, target and predicate;
///  3. the first route matching method and target;
///  4. built in: `GET /api/authentication_mode` -> {"authentication_mode": "token"|"disabled"},
///     `GET /api/version` -> {"version": "4", "ray_version": options::ray_version, ...} (behind the
///     token check of 1, as on Ray 2.52+);
///  5. else 599 "unexpected request: METHOD TARGET" (text), recorded in unmatched().
/// A WebSocket upgrade request (GET with `Connection: upgrade` and `Upgrade: websocket`) whose
/// target matches a websocket_route() is recorded, token-checked as in 1 (401/403 without
/// upgrade), checked for `Sec-WebSocket-Key` and `Sec-WebSocket-Version: 13` (else 400), then
/// handed to that route; upgrade requests no websocket route matches go through 2-5 like any
/// request (so an expectation can decline them too), and so do plain requests to a WebSocket
/// target.
/// A target matches when equal to the request's path and query, or, when it ends in '*', when it
/// is a prefix of it ("/api/jobs/*"). Every complete request is recorded before it is answered:
/// requests() keeps the most recent ones (options::recorded_requests, bodies cut at
/// options::recorded_body_limit), request_count() and tally() count all of them exactly, so a soak
/// of millions of requests stays within a few MB. Requests that cannot be read get an answer and a
/// closed connection, and are not recorded: a body above `options::request_body_limit` 413, a
/// malformed request 400; a client that disconnects mid-request just ends its connection. The
/// 401/403 texts are close to Ray's, not byte-exact: assert on the status.
class fake_dashboard {
public:
    struct options {
        bool tls = false;
        std::string cert_name = "server";  ///< test/fixtures/tls/<cert_name>.{pem,key}: "server" or "wrong_host"
        std::string required_token;        ///< when not empty, require this token (see above)
        std::size_t request_body_limit = 16 * 1024 * 1024;
        /// Listen on this port (0: an ephemeral one). With a fixed port a test can stop a fake and
        /// start another one where it was: a dashboard restart.
        unsigned short port = 0;
        /// With `tls`: accept TCP connections but never answer the TLS handshake (read and discard
        /// until the client closes): a handshake that hangs.
        bool stall_tls_handshake = false;
        /// requests() keeps the most recent this many requests (0: none); older ones are dropped,
        /// oldest first. request_count() and tallies count every request. Memory per kept request:
        /// about 160 bytes, plus about 110 per header field, plus each string of it longer than 15
        /// bytes (target, field names and values, body). Measured: a GET with 3 short fields takes
        /// about 590 bytes, so 10,000 of them about 6 MB; a million took 545 MB before the ring.
        std::size_t recorded_requests = 10'000;
        /// requests() keeps at most this many bytes of each body (recorded_request::body_size says
        /// how long it was); routes, expectations and tallies see the whole body.
        std::size_t recorded_body_limit = 1024 * 1024;
        /// The Ray release the built-in `GET /api/version` reports (a client adapts to it: e.g. a
        /// status byte per log stream chunk before 2.45).
        std::string ray_version = "2.60.0";

        // Fluent setters: `fake_dashboard dashboard(fake_dashboard::options{}.use_tls());`. (g++ 12
        // warns -Wmissing-field-initializers on designated initializers such as {.tls = true}.)
        options& use_tls(std::string cert = "server") {
            tls = true;
            cert_name = std::move(cert);
            return *this;
        }
        options& require_token(std::string token) {
            required_token = std::move(token);
            return *this;
        }
        options& on_port(unsigned short p) {
            port = p;
            return *this;
        }
        options& stalling_tls_handshake() {
            tls = true;
            stall_tls_handshake = true;
            return *this;
        }
        options& limit_request_body(std::size_t bytes) {
            request_body_limit = bytes;
            return *this;
        }
        options& keep_requests(std::size_t count) {
            recorded_requests = count;
            return *this;
        }
        options& limit_recorded_body(std::size_t bytes) {
            recorded_body_limit = bytes;
            return *this;
        }
        options& as_ray(std::string release) {
            ray_version = std::move(release);
            return *this;
        }
    };
    using route_handler = std::function<reply(const recorded_request&)>;
    using websocket_handler = std::function<websocket_script(const recorded_request&)>;

    /// Starts listening at once. Throws boost::system::system_error (port, certificate files).
    fake_dashboard();
    explicit fake_dashboard(options opts);
    /// stop().
    ~fake_dashboard();
    fake_dashboard(const fake_dashboard&) = delete;
    fake_dashboard& operator=(const fake_dashboard&) = delete;

    /// "http://127.0.0.1:<port>" or "https://127.0.0.1:<port>".
    std::string address() const;
    unsigned short port() const;

    /// Scripts the answer to the next request with this method and target (see the class comment).
    /// The reference stays valid as long as this object.
    expectation& expect(std::string method, std::string target);

    /// A persistent handler for matching requests not taken by an expectation: for stateful fakes
    /// (a job whose status moves on with each poll). Called on the server thread, without any lock
    /// held: it may call this object's accessors, but not stop() or close_idle_connections(). An
    /// exception from it is answered 500 and kept in server_errors().
    void route(std::string method, std::string target, route_handler handler);

    /// Answers WebSocket upgrade requests to `target` (matched as for routes; the first matching
    /// websocket route wins) with the script `handler` returns for each upgrade request. Called
    /// on the server thread without any lock held, like a route handler; a throw is answered 500
    /// (no upgrade) and kept in server_errors(). Works over TLS too (wss). The connection counts
    /// in connections_accepted()/open_connections() until either side closes it.
    void websocket_route(std::string target, websocket_handler handler);

    /// Bytes written so far on accepted WebSocket connections (101 response excluded, frame
    /// headers included), all connections together; counted when each write completes.
    std::uint64_t websocket_bytes_sent() const;
    /// Waits until websocket_bytes_sent() >= n. Returns false on timeout.
    bool wait_for_websocket_bytes_sent(std::uint64_t n, std::chrono::milliseconds timeout) const;

    /// The most recent requests received (at most options::recorded_requests), oldest first, each
    /// body cut at options::recorded_body_limit (a copy).
    std::vector<recorded_request> requests() const;
    /// How many requests were received, all of them (not only those requests() keeps).
    std::uint64_t request_count() const;
    /// How many requests were received with this method and a target matching `target` as for
    /// expect() ("/api/jobs/" exactly, "/api/jobs/*" as a prefix), all of them. Counted per distinct
    /// method and target (path and query): about 80 bytes, plus the target when longer than 15
    /// bytes, per distinct one (measured: 130 bytes each for a million distinct job paths).
    std::uint64_t request_count(std::string_view method, std::string_view target) const;
    /// Counts, from now on, the requests with this method and a matching target (as for expect()),
    /// grouped by `key` (none: total() only). The reference stays valid as long as this object.
    request_tally& tally(std::string method, std::string target, request_tally::key_function key = {});
    /// The requests answered 599 because nothing matched them.
    std::vector<recorded_request> unmatched() const;
    /// "METHOD TARGET (answered k of n)" for each expectation not yet satisfied.
    std::vector<std::string> unmet_expectations() const;
    /// Problems inside the fake itself (a throwing route handler, an unexpected exception).
    std::vector<std::string> server_errors() const;

    std::size_t connections_accepted() const;
    /// Accepted connections not yet closed by either side (as far as the server has noticed).
    std::size_t open_connections() const;

    /// Closes (FIN) every connection waiting for its next request, as an idle timeout of a real
    /// server would: a client's pooled connection becomes stale. Returns once they are closed.
    void close_idle_connections();
    /// Waits until at least `n` connections wait for their next request (a client has its answer
    /// before the server's side of the connection is back to reading: call this before
    /// close_idle_connections() to close every pooled connection). Returns false on timeout.
    bool wait_for_idle_connections(std::size_t n, std::chrono::milliseconds timeout) const;

    /// Waits until request_count() >= n. Returns false on timeout.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
    /// Waits until exactly `n` connections are open. Returns false on timeout.
    bool wait_for_open_connections(std::size_t n, std::chrono::milliseconds timeout) const;
    /// Waits until at least `n` connections were accepted. Returns false on timeout.
    bool wait_for_connections_accepted(std::size_t n, std::chrono::milliseconds timeout) const;

    /// Stops accepting, closes every connection (stalled ones too) and joins the server thread.
    /// Idempotent; returns promptly. Must not be called from a route handler.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace raycl::test
