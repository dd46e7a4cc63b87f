// The fake dashboard's server: Beast HTTP/1.1 over TCP or TLS, C++20 coroutines, one io_context
// on its own thread. This is the only file of the fake that includes Beast. The WebSocket side
// is written by hand (RFC 6455 server frames are a few header bytes; the server never parses
// what the client sends, like Ray): it keeps this TU free of beast::websocket, gives exact
// control over close codes, drops and resets, and lets frames be batched in one reused buffer.
//
// Threading: everything below `impl::mutex` is shared with the test thread and guarded by it;
// the connection registry, the acceptor and the sessions are touched on the server thread
// only. The test thread reaches them through asio::post (close_idle_connections, stop).
#include "support/fake_dashboard.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <limits>
#include <optional>
#include <thread>

namespace raycl::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

// The server's view of one accepted connection (server thread only).
struct connection {
    std::size_t id = 0;
    beast::tcp_stream* tcp = nullptr;     // while the session owns its stream
    asio::steady_timer* timer = nullptr;  // the session's timer, for delays and drips
    bool idle = false;                    // waiting for the start of the next request
    bool closed = false;                  // closed by us or noticed closed; counted once
};

// What the session does after a reply.
enum class next_step { keep_open, close, reset, stall };

// A reply as bytes: the header, then body pieces, each sent after its pause.
struct wire_reply {
    std::string head;
    std::vector<std::pair<milliseconds, std::string>> body;
    std::size_t body_size = 0;
    std::size_t end_size = 0;  // the bytes at the end of the body that end it
};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

// Exact path+query, or a prefix when the pattern ends in '*'.
bool target_matches(std::string_view pattern, std::string_view target) {
    if (!pattern.empty() && pattern.back() == '*') {
        pattern.remove_suffix(1);
        return target.substr(0, pattern.size()) == pattern;
    }
    return pattern == target;
}

bool has_header(const reply& r, std::string_view name) {
    return std::any_of(r.headers.begin(), r.headers.end(),
                       [&](const auto& field) { return lower(field.first) == name; });
}

std::string reason_of(int status) {
    auto known = http::int_to_status(static_cast<unsigned>(status));
    if (known == http::status::unknown) return "Unknown";
    return std::string(http::obsolete_reason(known));
}

std::string hex(std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[n % 16]);
        n /= 16;
    } while (n != 0);
    return out;
}

wire_reply encode(const reply& r, bool keep_alive, bool head_request) {
    wire_reply w;
    w.head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_of(r.status) + "\r\n";
    w.head += "Server: raycl-fake-dashboard\r\n";
    if (!r.content_type.empty()) w.head += "Content-Type: " + r.content_type + "\r\n";
    // A test may set its own (even lying) Content-Length or Transfer-Encoding: then the body is
    // sent as given.
    const bool framing_by_test = has_header(r, "content-length") || has_header(r, "transfer-encoding");
    if (!framing_by_test) {
        if (r.chunked)
            w.head += "Transfer-Encoding: chunked\r\n";
        else
            w.head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    }
    if (!keep_alive) w.head += "Connection: close\r\n";
    for (const auto& [name, value] : r.headers) w.head += name + ": " + value + "\r\n";
    w.head += "\r\n";
    if (head_request) return w;

    if (r.next_chunk) return w;  // streamed: see send_stream
    if (r.chunked && !framing_by_test) {
        std::vector<std::string> chunks = r.chunks;
        if (chunks.empty() && !r.body.empty()) chunks.push_back(r.body);
        bool first = true;
        for (const auto& chunk : chunks) {
            if (chunk.empty()) continue;  // an empty chunk would end the body
            w.body.emplace_back(first ? milliseconds{0} : r.chunk_interval,
                                hex(chunk.size()) + "\r\n" + chunk + "\r\n");
            first = false;
        }
        w.body.emplace_back(first ? milliseconds{0} : r.chunk_interval, "0\r\n\r\n");
        w.end_size = 5;
    } else {
        if (!r.body.empty()) w.body.emplace_back(milliseconds{0}, r.body);
        w.end_size = r.body.empty() ? 0 : 1;
    }
    for (const auto& piece : w.body) w.body_size += piece.second.size();
    return w;
}

recorded_request to_record(const http::request<http::string_body>& req, std::size_t connection_id) {
    recorded_request rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    rec.body = req.body();
    rec.connection_id = connection_id;
    for (const auto& field : req) {
        auto [it, inserted] = rec.headers.emplace(lower(field.name_string()), std::string(field.value()));
        if (!inserted) it->second += ", " + std::string(field.value());
    }
    return rec;
}

std::string cookie_value(std::string_view cookies, std::string_view name) {
    while (!cookies.empty()) {
        auto end = cookies.find(';');
        auto pair = cookies.substr(0, end);
        cookies = end == std::string_view::npos ? std::string_view{} : cookies.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
    return {};
}

// A comma-separated header value holds this token (case-insensitive), as "keep-alive, Upgrade".
bool has_token(std::string_view list, std::string_view token) {
    const std::string lowered = lower(list);
    std::string_view rest(lowered);
    while (!rest.empty()) {
        auto end = rest.find(',');
        auto item = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == token) return true;
    }
    return false;
}

bool is_websocket_upgrade(const recorded_request& rec) {
    return rec.method == "GET" && has_token(rec.header("connection"), "upgrade") &&
           has_token(rec.header("upgrade"), "websocket");
}

// Sec-WebSocket-Accept: base64(SHA-1(key + GUID)) (RFC 6455 section 4.2.2).
std::string websocket_accept(std::string_view key) {
    std::string input(key);
    input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 failed");
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
    const int size = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest_size));
    return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(size));
}

// A server frame (FIN set, unmasked) header for a payload of `size` bytes.
void append_frame_header(std::string& out, unsigned opcode, std::uint64_t size) {
    out.push_back(static_cast<char>(0x80 | opcode));
    if (size < 126) {
        out.push_back(static_cast<char>(size));
    } else if (size <= 0xffff) {
        out.push_back(static_cast<char>(126));
        out.push_back(static_cast<char>(size >> 8));
        out.push_back(static_cast<char>(size & 0xff));
    } else {
        out.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((size >> shift) & 0xff));
    }
}

constexpr unsigned opcode_text = 0x1;
constexpr unsigned opcode_close = 0x8;
constexpr std::size_t websocket_batch_bytes = 64 * 1024;  // frames gathered per write

// The session's side of the task that watches a WebSocket connection for the client closing.
struct close_watch {
    explicit close_watch(asio::io_context& ioc) : done(ioc, asio::steady_timer::time_point::max()) {}
    bool running = true;
    bool close_sent = false;  // then the client's next bytes (its close reply) also cancel `done`
    asio::steady_timer done;  // cancelled when the watch ends
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// reply, recorded_request, expectation

std::string recorded_request::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

reply reply::json(int status, std::string body) {
    reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

reply reply::text(int status, std::string body) {
    reply r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = "text/plain; charset=utf-8";
    return r;
}

std::string chunk_encoded(std::string_view data) {
    std::string out = hex(data.size()) + "\r\n";
    out += data;
    out += "\r\n";
    return out;
}

reply reply::raw_response(std::string bytes, raw_end ending) {
    reply r;
    r.raw = std::move(bytes);
    r.raw_ending = ending;
    return r;
}

reply reply::chunked_text(int status, std::vector<std::string> chunks, milliseconds interval) {
    reply r = text(status, {});
    r.chunked = true;
    r.chunks = std::move(chunks);
    r.chunk_interval = interval;
    return r;
}

namespace detail {
// The fake's access to an expectation's state; callers hold the fake's mutex.
struct expectation_access {
    static std::unique_ptr<expectation> make(std::mutex& mutex, std::string method, std::string target) {
        return std::unique_ptr<expectation>(new expectation(mutex, std::move(method), std::move(target)));
    }
    // Consumes one use of `e` if it matches; returns its reply then.
    static std::optional<reply> try_consume(expectation& e, const recorded_request& rec) {
        if (!e.unlimited_ && e.matched_ >= e.expected_) return std::nullopt;
        if (e.method_ != rec.method || !target_matches(e.target_, rec.target)) return std::nullopt;
        if (e.predicate_) {
            try {
                if (!e.predicate_(rec)) return std::nullopt;
            } catch (...) {
                return std::nullopt;
            }
        }
        ++e.matched_;
        return e.reply_;
    }
    static std::optional<std::string> unmet(const expectation& e) {
        if (e.unlimited_ || e.matched_ >= e.expected_) return std::nullopt;
        return e.method_ + " " + e.target_ + " (answered " + std::to_string(e.matched_) + " of " +
               std::to_string(e.expected_) + ")";
    }
};
}  // namespace detail

expectation& expectation::reply_with(reply r) {
    std::lock_guard lock(mutex_);
    reply_ = std::move(r);
    return *this;
}

expectation& expectation::reply_with(reply r, reply_delay delay) {
    r.delay = delay.value;
    return reply_with(std::move(r));
}

expectation& expectation::times(std::size_t n) {
    std::lock_guard lock(mutex_);
    expected_ = n;
    unlimited_ = false;
    return *this;
}

expectation& expectation::repeatedly() {
    std::lock_guard lock(mutex_);
    unlimited_ = true;
    return *this;
}

expectation& expectation::matching(std::function<bool(const recorded_request&)> predicate) {
    std::lock_guard lock(mutex_);
    predicate_ = std::move(predicate);
    return *this;
}

std::size_t expectation::match_count() const {
    std::lock_guard lock(mutex_);
    return matched_;
}

bool expectation::satisfied() const {
    std::lock_guard lock(mutex_);
    return unlimited_ || matched_ >= expected_;
}

std::string tls_fixture(std::string_view file_name) {
    return std::string(RAYCL_TLS_FIXTURE_DIR) + "/" + std::string(file_name);
}

// ---------------------------------------------------------------------------------------------
// The server

struct fake_dashboard::impl {
    struct route_entry {
        std::string method;
        std::string target;
        std::shared_ptr<route_handler> handler;
    };
    struct websocket_route_entry {
        std::string target;
        std::shared_ptr<websocket_handler> handler;
    };
    // What an upgrade request gets: nothing special (no websocket route), an HTTP answer, or a script.
    struct websocket_decision {
        bool matched = false;
        std::optional<reply> answer;
        websocket_script script;
    };

    // Closes the connection when a session ends, however it ends (also when its suspended frame
    // is destroyed with the io_context).
    struct session_scope {
        impl& self;
        connection& conn;
        session_scope(impl& s, connection& c, beast::tcp_stream& tcp, asio::steady_timer& timer) : self(s), conn(c) {
            conn.tcp = &tcp;
            conn.timer = &timer;
            if (conn.closed) self.close_socket(conn, false);  // closed by stop() before it started
        }
        ~session_scope() {
            self.close_connection(conn, false);
            conn.tcp = nullptr;
            conn.timer = nullptr;
            self.live.erase(conn.id);
        }
        session_scope(const session_scope&) = delete;
        session_scope& operator=(const session_scope&) = delete;
    };

    explicit impl(options o) : opts(std::move(o)) {
        if (opts.tls) {
            tls = std::make_unique<ssl::context>(ssl::context::tls_server);
            tls->use_certificate_chain_file(tls_fixture(opts.cert_name + ".pem"));
            tls->use_private_key_file(tls_fixture(opts.cert_name + ".key"), ssl::context::pem);
        }
        const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), opts.port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
        port = acceptor.local_endpoint().port();

        asio::co_spawn(ioc, accept_loop(), [this](std::exception_ptr e) { note_exception(e); });
        thread_done = thread_exit.get_future();
        thread = std::thread([this] {
            try {
                ioc.run();
            } catch (...) {
                note_exception(std::current_exception());
            }
            thread_exit.set_value();
        });
    }

    // -- bookkeeping ------------------------------------------------------------------------------

    void note_error(std::string what) {
        std::lock_guard lock(mutex);
        errors.push_back(std::move(what));
    }

    void note_exception(std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            note_error(ex.what());
        } catch (...) {
            note_error("unknown exception");
        }
    }

    void close_socket(connection& conn, bool reset) {
        if (!conn.tcp) return;
        error_code ignored;
        auto& socket = conn.tcp->socket();
        if (!socket.is_open()) return;
        if (reset)
            socket.set_option(tcp::socket::linger(true, 0), ignored);
        else
            socket.shutdown(tcp::socket::shutdown_send, ignored);
        socket.close(ignored);
    }

    // Idempotent. Pending operations of the session complete with operation_aborted.
    void close_connection(connection& conn, bool reset) {
        close_socket(conn, reset);
        if (conn.timer) conn.timer->cancel();
        if (conn.closed) return;
        conn.closed = true;
        std::lock_guard lock(mutex);
        --open;
        changed.notify_all();
    }

    // Runs `fn` on the server thread and waits for it. Not from the server thread.
    void run_on_server(std::function<void()> fn) {
        std::promise<void> done;
        auto finished = done.get_future();
        asio::post(ioc, [&] {
            fn();
            done.set_value();
        });
        finished.wait();
    }

    // -- dispatch ---------------------------------------------------------------------------------

    // Ray 2.52+: the first present of Authorization, X-Ray-Authorization, cookie.
    std::optional<reply> check_token(const recorded_request& rec) const {
        if (opts.required_token.empty() || path_of(rec.target) == "/api/authentication_mode") return std::nullopt;
        std::string presented = rec.header("authorization");
        if (presented.empty()) presented = rec.header("x-ray-authorization");
        if (presented.empty()) {
            auto cookie = cookie_value(rec.header("cookie"), "ray-authentication-token");
            if (!cookie.empty()) presented = "Bearer " + cookie;
        }
        if (presented.empty()) return reply::text(401, "Unauthorized: Missing authentication token");
        if (presented != "Bearer " + opts.required_token)
            return reply::text(403, "Forbidden: Invalid authentication token");
        return std::nullopt;
    }

    reply respond_to(const recorded_request& rec) {
        std::shared_ptr<route_handler> handler;
        {
            std::lock_guard lock(mutex);
            received.push_back(rec);
            changed.notify_all();
            if (auto denied = check_token(rec)) return *denied;
            for (auto& e : expectations)
                if (auto r = detail::expectation_access::try_consume(*e, rec)) return *r;
            for (const auto& route : routes) {
                if (route.method == rec.method && target_matches(route.target, rec.target)) {
                    handler = route.handler;
                    break;
                }
            }
            if (!handler) {
                if (rec.method == "GET" && path_of(rec.target) == "/api/authentication_mode") {
                    return reply::json(200, std::string(R"({"authentication_mode": ")") +
                                                (opts.required_token.empty() ? "disabled" : "token") + "\"}");
                }
                unmatched.push_back(rec);
                return reply::text(599, "unexpected request: " + rec.method + " " + rec.target);
            }
        }
        try {
            return (*handler)(rec);  // without the lock: the handler may read the fake's state
        } catch (const std::exception& e) {
            note_error("route handler for " + rec.method + " " + rec.target + " threw: " + e.what());
            return reply::text(500, std::string("route handler threw: ") + e.what());
        }
    }

    websocket_decision decide_websocket(const recorded_request& rec) {
        websocket_decision d;
        if (!is_websocket_upgrade(rec)) return d;
        std::shared_ptr<websocket_handler> handler;
        {
            std::lock_guard lock(mutex);
            for (const auto& route : websocket_routes) {
                if (target_matches(route.target, rec.target)) {
                    handler = route.handler;
                    break;
                }
            }
            if (!handler) return d;
            d.matched = true;
            received.push_back(rec);
            changed.notify_all();
            if (auto denied = check_token(rec)) {
                d.answer = std::move(*denied);
                return d;
            }
        }
        if (rec.header("sec-websocket-key").empty() || rec.header("sec-websocket-version") != "13") {
            d.answer =
                reply::text(400, "bad WebSocket handshake: Sec-WebSocket-Key and Sec-WebSocket-Version: 13 required");
            return d;
        }
        try {
            d.script = (*handler)(rec);  // without the lock, like a route handler
        } catch (const std::exception& e) {
            note_error("websocket route handler for " + rec.target + " threw: " + e.what());
            d.answer = reply::text(500, std::string("websocket route handler threw: ") + e.what());
            return d;
        }
        if (d.script.declined()) d.answer = *d.script.decline_reply();
        return d;
    }

    void count_websocket_bytes(std::size_t n) {
        std::lock_guard lock(mutex);
        websocket_bytes += n;
        changed.notify_all();
    }

    // -- sessions ---------------------------------------------------------------------------------

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (stopping || !acceptor.is_open()) co_return;
            if (ec) {
                if (ec == asio::error::connection_aborted) continue;
                note_error("accept failed: " + ec.message());
                co_return;
            }
            // Without it, a header and a body written separately meet Nagle and the client's delayed
            // ACK: 40 ms per reply.
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto conn = std::make_shared<connection>();
            {
                std::lock_guard lock(mutex);
                conn->id = ++accepted;
                ++open;
                changed.notify_all();
            }
            live.emplace(conn->id, conn);
            asio::co_spawn(ioc, run_session(std::move(socket), conn),
                           [this](std::exception_ptr e) { note_exception(e); });
        }
    }

    asio::awaitable<void> run_session(tcp::socket socket, std::shared_ptr<connection> conn) {
        asio::steady_timer timer(ioc);
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            session_scope scope(*this, *conn, stream, timer);
            co_await serve_http(stream, *conn);
        } else {
            beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
            session_scope scope(*this, *conn, beast::get_lowest_layer(stream), timer);
            if (opts.stall_tls_handshake) {
                co_await drain_until_closed(beast::get_lowest_layer(stream), *conn);
                co_return;
            }
            auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
            if (ec || conn->closed) co_return;  // e.g. the client rejected the certificate
            co_await serve_http(stream, *conn);
        }
    }

    // Marks a connection as waiting (or no longer waiting) for its next request; the count is
    // what wait_for_idle_connections() watches.
    void set_idle(connection& conn, bool idle) {
        conn.idle = idle;
        std::lock_guard lock(mutex);
        idle ? ++idle_connections : --idle_connections;
        changed.notify_all();
    }

    // The HTTP/1.1 keep-alive loop. Templated on the stream (TCP or TLS) so that a later
    // WebSocket route can move the stream into a websocket::stream<Stream> (see below).
    template <class Stream>
    asio::awaitable<void> serve_http(Stream& stream, connection& conn) {
        beast::flat_buffer buffer;  // kept across requests: it may hold a pipelined request
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(64 * 1024);
            parser.body_limit(opts.request_body_limit);
            set_idle(conn, true);
            auto [ec, ignored] = co_await http::async_read(stream, buffer, parser, use_tuple);
            set_idle(conn, false);
            if (conn.closed) co_return;
            if (ec) {
                // A client that goes away mid-request (end_of_stream, partial_message, reset) just ends
                // the session; a bad request gets an answer first.
                std::optional<reply> answer;
                if (ec == http::error::body_limit)
                    answer = reply::text(413, "request body too large");
                else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                         ec != http::error::end_of_stream && ec != http::error::partial_message)
                    answer = reply::text(400, "bad request: " + ec.message());
                if (answer && co_await send_reply(stream, conn, *answer, false, false) == next_step::close)
                    co_await lingering_close(conn);
                co_return;
            }
            const auto& request = parser.get();
            const recorded_request rec = to_record(request, conn.id);
            auto websocket = decide_websocket(rec);
            if (websocket.matched && !websocket.answer) {  // accepted: the HTTP loop ends here
                co_await serve_websocket(stream, conn, rec, websocket.script);
                co_return;
            }
            const reply r = websocket.matched ? std::move(*websocket.answer) : respond_to(rec);
            const bool keep_alive = request.keep_alive() && !r.close_connection;
            const bool head_request = request.method() == http::verb::head;
            switch (co_await send_reply(stream, conn, r, keep_alive, head_request)) {
                case next_step::keep_open:
                    continue;
                case next_step::close:
                    close_connection(conn, false);
                    co_return;
                case next_step::reset:
                    close_connection(conn, true);
                    co_return;
                case next_step::stall:
                    co_await drain_until_closed(stream, conn);
                    co_return;
            }
        }
    }

    template <class Stream>
    asio::awaitable<next_step> send_reply(Stream& stream, connection& conn, const reply& r, bool keep_alive,
                                          bool head_request) {
        if (r.delay.count() > 0 && !co_await pause(conn, r.delay)) co_return next_step::close;
        switch (r.fault_kind) {
            case fault::close_before_headers:
                co_return next_step::close;
            case fault::reset_before_headers:
                co_return next_step::reset;
            case fault::stall_before_headers:
                co_return next_step::stall;
            case fault::malformed_status_line:
                co_await write_all(stream, "this is not an HTTP response\r\n\r\n");
                co_return next_step::close;
            default:
                break;
        }
        if (r.raw) {
            std::string_view rest(*r.raw);
            const std::size_t piece =
                r.fault_kind == fault::drip_body ? std::max<std::size_t>(r.drip_bytes, 1) : rest.size();
            for (bool first = true; !rest.empty(); first = false) {
                if (!first && !co_await pause(conn, r.drip_interval)) co_return next_step::close;
                const auto n = std::min(rest.size(), piece);
                if (!co_await write_all(stream, rest.substr(0, n))) co_return next_step::close;
                rest.remove_prefix(n);
            }
            switch (r.raw_ending) {
                case raw_end::reset:
                    co_return next_step::reset;
                case raw_end::stall:
                    co_return next_step::stall;
                default:
                    co_return next_step::close;
            }
        }
        if (r.next_chunk && !head_request) co_return co_await send_stream(stream, conn, r, keep_alive);
        const wire_reply wire = encode(r, keep_alive, head_request);
        const bool paced =
            std::any_of(wire.body.begin(), wire.body.end(), [](const auto& piece) { return piece.first.count() > 0; });
        if (r.fault_kind == fault::none && !paced) {  // the common case: one write
            std::string all = wire.head;
            for (const auto& piece : wire.body) all += piece.second;
            if (!co_await write_all(stream, all)) co_return next_step::close;
            co_return keep_alive ? next_step::keep_open : next_step::close;
        }
        if (!co_await write_all(stream, wire.head)) co_return next_step::close;

        std::size_t limit = no_limit;
        if (r.fault_kind == fault::close_mid_body || r.fault_kind == fault::stall_mid_body)
            limit = r.fault_after_bytes;
        else if (r.fault_kind == fault::stall_before_end || r.fault_kind == fault::close_before_end)
            limit = wire.body_size - wire.end_size;
        const bool drip = r.fault_kind == fault::drip_body;
        const std::size_t piece = drip ? std::max<std::size_t>(r.drip_bytes, 1) : no_limit;
        if (!co_await write_body(stream, conn, wire, limit, piece, r.drip_interval)) co_return next_step::close;

        switch (r.fault_kind) {
            case fault::close_mid_body:
            case fault::close_before_end:
                co_return next_step::close;
            case fault::stall_mid_body:
            case fault::stall_before_end:
                co_return next_step::stall;
            default:
                co_return keep_alive ? next_step::keep_open : next_step::close;
        }
    }

    // A reply::stream body: one chunk per next_chunk() call, each write awaited before the next
    // call (back-pressure), `limit` wire bytes at most (close_mid_body, stall_mid_body).
    template <class Stream>
    asio::awaitable<next_step> send_stream(Stream& stream, connection& conn, const reply& r, bool keep_alive) {
        const wire_reply wire = encode(r, keep_alive, false);
        if (!co_await write_all(stream, wire.head)) co_return next_step::close;
        const bool cut = r.fault_kind == fault::close_mid_body || r.fault_kind == fault::stall_mid_body;
        const std::size_t limit = cut ? r.fault_after_bytes : no_limit;
        const next_step at_limit = r.fault_kind == fault::stall_mid_body ? next_step::stall : next_step::close;
        std::size_t sent = 0;
        std::optional<milliseconds> wait_before;
        for (;;) {
            if (wait_before && !co_await pause(conn, *wait_before)) co_return next_step::close;
            std::optional<std::string> chunk;
            try {
                chunk = r.next_chunk();
            } catch (const std::exception& e) {
                note_error(std::string("reply::stream source threw: ") + e.what());
                co_return next_step::close;
            }
            if (!chunk) break;
            if (chunk->empty()) {  // nothing yet: ask again later
                wait_before = std::max(r.chunk_interval, milliseconds{5});
                continue;
            }
            const std::string size_line = hex(chunk->size()) + "\r\n";
            if (!co_await write_limited(stream, {size_line, *chunk, std::string_view("\r\n")}, sent, limit))
                co_return sent >= limit ? at_limit : next_step::close;
            wait_before.reset();
            if (r.chunk_interval.count() > 0) wait_before = r.chunk_interval;
        }
        switch (r.fault_kind) {
            case fault::stall_before_end:
                co_return next_step::stall;
            case fault::close_before_end:
                co_return next_step::close;
            default:
                break;
        }
        if (!co_await write_limited(stream, {std::string_view("0\r\n\r\n"), {}, {}}, sent, limit))
            co_return sent >= limit ? at_limit : next_step::close;
        co_return keep_alive ? next_step::keep_open : next_step::close;
    }

    // Writes the pieces in one gathered write, or only what fits below `limit`; false when it did
    // not write them all (limit reached or write failed).
    template <class Stream>
    asio::awaitable<bool> write_limited(Stream& stream, std::array<std::string_view, 3> pieces, std::size_t& sent,
                                        std::size_t limit) {
        std::size_t total = 0;
        for (auto piece : pieces) total += piece.size();
        if (limit - sent >= total) {
            const std::array<asio::const_buffer, 3> buffers{asio::buffer(pieces[0].data(), pieces[0].size()),
                                                            asio::buffer(pieces[1].data(), pieces[1].size()),
                                                            asio::buffer(pieces[2].data(), pieces[2].size())};
            auto [ec, ignored] = co_await asio::async_write(stream, buffers, use_tuple);
            if (ec) co_return false;
            sent += total;
            co_return true;
        }
        std::string head;  // rare: only the bytes up to the limit
        for (auto piece : pieces) head += piece;
        head.resize(limit - sent);
        if (co_await write_all(stream, head)) sent = limit;
        co_return false;
    }

    // Writes at most `limit` body bytes, `piece` bytes at a time with `interval` between pieces.
    template <class Stream>
    asio::awaitable<bool> write_body(Stream& stream, connection& conn, const wire_reply& wire, std::size_t limit,
                                     std::size_t piece, milliseconds interval) {
        std::size_t sent = 0;
        bool first_piece = true;
        for (const auto& [pause_before, bytes] : wire.body) {
            if (sent >= limit) break;
            if (pause_before.count() > 0 && !co_await pause(conn, pause_before)) co_return false;
            std::string_view rest(bytes);
            rest = rest.substr(0, std::min(rest.size(), limit - sent));
            while (!rest.empty()) {
                if (!first_piece && piece != no_limit && !co_await pause(conn, interval)) co_return false;
                const auto n = std::min(rest.size(), piece);
                if (!co_await write_all(stream, rest.substr(0, n))) co_return false;
                sent += n;
                rest.remove_prefix(n);
                first_piece = false;
            }
        }
        co_return true;
    }

    template <class Stream>
    asio::awaitable<bool> write_all(Stream& stream, std::string_view bytes) {
        auto [ec, ignored] = co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), use_tuple);
        co_return !ec;
    }

    // False when the connection was closed meanwhile (stop(), close_idle_connections()).
    asio::awaitable<bool> pause(connection& conn, milliseconds delay) {
        if (conn.closed || !conn.timer) co_return false;
        conn.timer->expires_after(delay);
        co_await conn.timer->async_wait(use_tuple);  // cancelled or expired: both end the pause
        co_return !conn.closed;
    }

    // After answering a request we did not read completely: closing at once with unread bytes
    // would send a reset that may destroy the answer before the client reads it. Stop sending,
    // discard what still comes for up to a second, then close.
    asio::awaitable<void> lingering_close(connection& conn) {
        if (!conn.tcp || conn.closed) co_return;
        error_code ignored;
        conn.tcp->socket().shutdown(tcp::socket::shutdown_send, ignored);
        conn.tcp->expires_after(std::chrono::seconds(1));
        std::array<char, 4096> scratch;
        for (;;) {
            auto [ec, n] = co_await conn.tcp->async_read_some(asio::buffer(scratch), use_tuple);
            if (ec || conn.closed) break;
        }
        close_connection(conn, false);
    }

    // A stalled connection reads and discards until the client closes it or stop() does, so
    // open_connections() shows when a client gives up.
    template <class Stream>
    asio::awaitable<void> drain_until_closed(Stream& stream, connection& conn) {
        std::array<char, 4096> scratch;
        for (;;) {
            auto [ec, ignored] = co_await stream.async_read_some(asio::buffer(scratch), use_tuple);
            if (ec || conn.closed) co_return;
        }
    }

    // -- WebSocket --------------------------------------------------------------------------------

    // After the upgrade request was accepted: 101, then the script, while a second task watches
    // for the client closing (the server never reads otherwise, like Ray). The session ends only
    // once both are done: the watch uses `stream`.
    template <class Stream>
    asio::awaitable<void> serve_websocket(Stream& stream, connection& conn, const recorded_request& rec,
                                          const websocket_script& script) {
        const std::string head =
            "HTTP/1.1 101 Switching Protocols\r\nServer: raycl-fake-dashboard\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
            websocket_accept(rec.header("sec-websocket-key")) + "\r\n\r\n";
        if (!co_await write_all(stream, head)) co_return;
        close_watch watch(ioc);
        asio::co_spawn(ioc, watch_for_close(stream, conn, watch), [this](std::exception_ptr e) { note_exception(e); });
        try {
            co_await run_script(stream, conn, script, watch);
        } catch (...) {
            note_exception(std::current_exception());
        }
        close_connection(conn, false);  // no-op when the script reset or dropped it already
        while (watch.running) {         // the watch sees the close at once
            watch.done.expires_at(asio::steady_timer::time_point::max());
            co_await watch.done.async_wait(use_tuple);
        }
    }

    template <class Stream>
    asio::awaitable<void> watch_for_close(Stream& stream, connection& conn, close_watch& watch) {
        std::array<char, 4096> scratch;
        for (;;) {
            auto [ec, ignored] = co_await stream.async_read_some(asio::buffer(scratch), use_tuple);
            if (ec || conn.closed) break;
            if (watch.close_sent) watch.done.cancel();  // the client answered our close frame
        }
        close_connection(conn, false);  // the client went away: end the script's writes and waits
        watch.running = false;
        watch.done.cancel();
    }

    // The steps, in one coroutine: it awaits only write_all(), pause() and the watch's timer.
    // (Kept flat on purpose: with g++ 12.2, helper coroutines called from here with reference
    // parameters received them shifted by one slot, at -O0 and -O2.)
    template <class Stream>
    asio::awaitable<void> run_script(Stream& stream, connection& conn, const websocket_script& script,
                                     close_watch& watch) {
        using action = websocket_script::action;
        std::string buffer;   // reused for every frame and batch of frames
        std::string payload;  // send_lines: the frame being built
        std::string carry;    // send_lines: the rest of a line cut at max_frame_bytes
        for (const auto& item : script.steps()) {
            if (conn.closed) co_return;
            const auto kind = item.kind;
            if (kind == action::text || kind == action::raw || kind == action::close) {
                buffer.clear();
                if (kind == action::text) {
                    append_frame_header(buffer, opcode_text, item.data.size());
                    buffer += item.data;
                } else if (kind == action::raw) {
                    buffer = item.data;
                } else {
                    payload.clear();
                    if (item.code != 0) {
                        payload.push_back(static_cast<char>(item.code >> 8));
                        payload.push_back(static_cast<char>(item.code & 0xff));
                        payload += std::string_view(item.data).substr(0, 123);
                    }
                    append_frame_header(buffer, opcode_close, payload.size());
                    buffer += payload;
                }
                if (kind == action::close) watch.close_sent = true;
                const bool sent = co_await write_all(stream, buffer);
                if (!sent) co_return;
                count_websocket_bytes(buffer.size());
                if (kind == action::close) {
                    // Up to 2 s for the client's close reply or FIN (the watch ends the wait as soon as
                    // either arrives). The bound starts when the frame is written, not when the client
                    // reads it: a client still working through buffered frames (megabytes of them in the
                    // back-pressure tests, slower under sanitizers) must not find the socket gone when it
                    // answers, or its teardown fails with ENOTCONN instead of a clean close.
                    if (watch.running && !conn.closed) {
                        watch.done.expires_after(milliseconds{2000});
                        co_await watch.done.async_wait(use_tuple);
                    }
                    co_return;
                }
            } else if (kind == action::lines) {
                // Frames of generated lines, gathered into writes of about websocket_batch_bytes.
                const std::size_t max_bytes = item.max_frame_bytes;
                std::uint64_t next = item.first;
                const std::uint64_t end = item.first + item.count;
                carry.clear();
                buffer.clear();
                while (next < end || !carry.empty() || !buffer.empty()) {
                    if (next < end || !carry.empty()) {
                        payload.clear();
                        std::size_t lines = 0;
                        if (!carry.empty()) {
                            payload.swap(carry);
                            carry.clear();
                            lines = 1;
                        }
                        while (lines < item.lines_per_frame && next < end &&
                               (max_bytes == 0 || payload.size() < max_bytes)) {
                            append_generated_log_line(payload, next++);
                            ++lines;
                        }
                        if (max_bytes != 0 && payload.size() > max_bytes) {
                            carry.assign(payload, max_bytes);
                            payload.resize(max_bytes);
                        }
                        append_frame_header(buffer, opcode_text, payload.size());
                        buffer += payload;
                        if (buffer.size() < websocket_batch_bytes && (next < end || !carry.empty())) continue;
                    }
                    const bool sent = co_await write_all(stream, buffer);
                    if (!sent || conn.closed) co_return;
                    count_websocket_bytes(buffer.size());
                    buffer.clear();
                }
            } else if (kind == action::wait) {
                const bool waited = co_await pause(conn, item.duration);
                if (!waited) co_return;
            } else if (kind == action::wait_until) {
                for (;;) {
                    bool ready = false;
                    try {
                        ready = !item.condition || item.condition();
                    } catch (const std::exception& e) {
                        note_error(std::string("websocket_script::wait_until condition threw: ") + e.what());
                        co_return;
                    }
                    if (ready) break;
                    const bool waited = co_await pause(conn, milliseconds{5});
                    if (!waited) co_return;
                }
            } else if (kind == action::reset) {
                close_connection(conn, true);
                co_return;
            } else if (kind == action::drop) {
                co_return;  // serve_websocket closes (FIN)
            } else {
                break;  // stall
            }
        }
        // After the last step, or stall(): until the client closes or stop().
        while (watch.running) {
            watch.done.expires_at(asio::steady_timer::time_point::max());
            co_await watch.done.async_wait(use_tuple);
        }
    }

    // -- state --------------------------------------------------------------------------------------

    const options opts;

    // Shared with the test thread: guarded by `mutex`.
    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::deque<std::unique_ptr<expectation>> expectations;
    std::vector<route_entry> routes;
    std::vector<websocket_route_entry> websocket_routes;
    std::uint64_t websocket_bytes = 0;
    std::vector<recorded_request> received;
    std::vector<recorded_request> unmatched;
    std::vector<std::string> errors;
    std::size_t accepted = 0;
    std::size_t open = 0;
    std::size_t idle_connections = 0;  // connections waiting for their next request

    // Server thread only.
    std::map<std::size_t, std::shared_ptr<connection>> live;
    bool stopping = false;

    // Set by the constructor, then read-only.
    std::unique_ptr<ssl::context> tls;
    unsigned short port = 0;

    std::mutex stop_mutex;  // serialises stop() and close_idle_connections()
    bool stopped = false;   // guarded by stop_mutex

    // Declared last, destroyed first: coroutine frames still suspended when the io_context goes
    // away are destroyed with it, and they use the members above.
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
    std::promise<void> thread_exit;
    std::future<void> thread_done;
    std::thread thread;
};

// ---------------------------------------------------------------------------------------------
// fake_dashboard

fake_dashboard::fake_dashboard() : fake_dashboard(options{}) {}

fake_dashboard::fake_dashboard(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

fake_dashboard::~fake_dashboard() {
    stop();
}

std::string fake_dashboard::address() const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

unsigned short fake_dashboard::port() const {
    return impl_->port;
}

expectation& fake_dashboard::expect(std::string method, std::string target) {
    std::lock_guard lock(impl_->mutex);
    impl_->expectations.push_back(detail::expectation_access::make(impl_->mutex, std::move(method), std::move(target)));
    return *impl_->expectations.back();
}

void fake_dashboard::route(std::string method, std::string target, route_handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->routes.push_back(
        {std::move(method), std::move(target), std::make_shared<route_handler>(std::move(handler))});
}

void fake_dashboard::websocket_route(std::string target, websocket_handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->websocket_routes.push_back({std::move(target), std::make_shared<websocket_handler>(std::move(handler))});
}

std::uint64_t fake_dashboard::websocket_bytes_sent() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->websocket_bytes;
}

bool fake_dashboard::wait_for_websocket_bytes_sent(std::uint64_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->websocket_bytes >= n; });
}

std::vector<recorded_request> fake_dashboard::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->received;
}

std::vector<recorded_request> fake_dashboard::unmatched() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->unmatched;
}

std::vector<std::string> fake_dashboard::unmet_expectations() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<std::string> out;
    for (const auto& e : impl_->expectations)
        if (auto what = detail::expectation_access::unmet(*e)) out.push_back(std::move(*what));
    return out;
}

std::vector<std::string> fake_dashboard::server_errors() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->errors;
}

std::size_t fake_dashboard::connections_accepted() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->accepted;
}

std::size_t fake_dashboard::open_connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->open;
}

void fake_dashboard::close_idle_connections() {
    std::lock_guard guard(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->run_on_server([this] {
        for (auto& [id, conn] : impl_->live)
            if (conn->idle && !conn->closed) impl_->close_connection(*conn, false);
    });
}

bool fake_dashboard::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->received.size() >= n; });
}

bool fake_dashboard::wait_for_open_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->open == n; });
}

bool fake_dashboard::wait_for_idle_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->idle_connections >= n; });
}

bool fake_dashboard::wait_for_connections_accepted(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->accepted >= n; });
}

void fake_dashboard::stop() {
    if (!impl_) return;
    std::lock_guard guard(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    asio::post(impl_->ioc, [self = impl_.get()] {
        self->stopping = true;
        error_code ignored;
        self->acceptor.close(ignored);
        for (auto& [id, conn] : self->live) self->close_connection(*conn, false);
    });
    impl_->work.reset();
    // Every pending operation was cancelled, so the io_context runs out of work at once. Should a
    // session still hold it (a bug of the fake), stop it anyway: the frames left are destroyed with
    // the io_context.
    if (impl_->thread_done.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
        impl_->note_error("stop(): sessions did not end within 2 s; io_context stopped");
        impl_->ioc.stop();
    }
    impl_->thread.join();
}

}  // namespace raycl::test
