// The fake dashboard's server: Beast HTTP/1.1 over TCP or TLS, C++20 coroutines, one io_context on
// its own thread. It listens, accepts, shakes hands, reads requests, hands each to the dispatch
// (fake_dashboard_dispatch.cpp) or to a WebSocket session (fake_dashboard_websocket.cpp), and sends
// the answer through the connection's connection_io (fake_dashboard_replies.cpp). This is the only
// file of the fake that includes Beast's streams and parser.
//
// Threading: the shared state (detail::dashboard_state) is guarded by its mutex; the connection
// registry, the acceptor and the sessions are touched on the server thread only. The test thread
// reaches them through asio::post (close_idle_connections, stop).
#include "support/fake_dashboard_impl.hpp"

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
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <future>
#include <map>
#include <thread>

namespace raycl::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using boost::system::error_code;
using detail::next_step;
using std::chrono::milliseconds;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The server's view of one accepted connection (server thread only).
struct connection {
    std::size_t id = 0;
    beast::tcp_stream* tcp = nullptr;     // while the session owns its stream
    asio::steady_timer* timer = nullptr;  // the session's timer, for delays and drips
    bool idle = false;                    // waiting for the start of the next request
    bool closed = false;                  // closed by us or noticed closed; counted once
};

recorded_request to_record(const http::request<http::string_body>& req, std::size_t connection_id) {
    recorded_request rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    rec.body = req.body();
    rec.body_size = rec.body.size();
    rec.connection_id = connection_id;
    for (const auto& field : req) {
        auto [it, inserted] = rec.headers.emplace(detail::lower(field.name_string()), std::string(field.value()));
        if (!inserted) it->second += ", " + std::string(field.value());
    }
    return rec;
}

}  // namespace

// -- shared state: bookkeeping ---------------------------------------------------------------------

void detail::dashboard_state::note_error(std::string what) {
    std::lock_guard lock(mutex);
    errors.push_back(std::move(what));
}

void detail::dashboard_state::note_exception(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        note_error(ex.what());
    } catch (...) {
        note_error("unknown exception");
    }
}

void detail::dashboard_state::count_websocket_bytes(std::size_t n) {
    std::lock_guard lock(mutex);
    websocket_bytes += n;
    changed.notify_all();
}

// -- the server ----------------------------------------------------------------------------------------

struct fake_dashboard::impl {
    // A connection's I/O over its stream (plain or TLS), for the reply and WebSocket code.
    template <class Stream>
    class stream_io final : public detail::connection_io {
    public:
        stream_io(impl& server, connection& conn, Stream& stream) : server_(server), conn_(conn), stream_(stream) {}

        awaitable<bool> write(std::string_view bytes) override {
            auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()), use_tuple);
            co_return !ec;
        }
        awaitable<bool> write(std::array<std::string_view, 3> pieces) override {
            const std::array<asio::const_buffer, 3> buffers{asio::buffer(pieces[0].data(), pieces[0].size()),
                                                            asio::buffer(pieces[1].data(), pieces[1].size()),
                                                            asio::buffer(pieces[2].data(), pieces[2].size())};
            auto [ec, n] = co_await asio::async_write(stream_, buffers, use_tuple);
            co_return !ec;
        }
        awaitable<bool> discard_some() override {
            std::array<char, 4096> scratch;
            auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), use_tuple);
            co_return !ec && !conn_.closed;
        }
        awaitable<bool> pause(milliseconds delay) override {
            if (conn_.closed || !conn_.timer) co_return false;
            conn_.timer->expires_after(delay);
            co_await conn_.timer->async_wait(use_tuple);  // cancelled or expired: both end the pause
            co_return !conn_.closed;
        }
        void close(bool reset) override { server_.close_connection(conn_, reset); }
        bool closed() const override { return conn_.closed; }

    private:
        impl& server_;
        connection& conn_;
        Stream& stream_;
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

    explicit impl(options o) : state(std::move(o)) {
        if (state.opts.tls) {
            tls = std::make_unique<ssl::context>(ssl::context::tls_server);
            tls->use_certificate_chain_file(tls_fixture(state.opts.cert_name + ".pem"));
            tls->use_private_key_file(tls_fixture(state.opts.cert_name + ".key"), ssl::context::pem);
        }
        const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), state.opts.port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
        port = acceptor.local_endpoint().port();

        asio::co_spawn(ioc, accept_loop(), [this](std::exception_ptr e) { state.note_exception(e); });
        thread_done = thread_exit.get_future();
        thread = std::thread([this] {
            try {
                ioc.run();
            } catch (...) {
                state.note_exception(std::current_exception());
            }
            thread_exit.set_value();
        });
    }

    // -- connections ------------------------------------------------------------------------------

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
        std::lock_guard lock(state.mutex);
        --state.open;
        state.changed.notify_all();
    }

    // Marks a connection as waiting (or no longer waiting) for its next request; the count is
    // what wait_for_idle_connections() watches.
    void set_idle(connection& conn, bool idle) {
        conn.idle = idle;
        std::lock_guard lock(state.mutex);
        idle ? ++state.idle_connections : --state.idle_connections;
        state.changed.notify_all();
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

    // -- sessions ---------------------------------------------------------------------------------

    awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (stopping || !acceptor.is_open()) co_return;
            if (ec) {
                if (ec == asio::error::connection_aborted) continue;
                state.note_error("accept failed: " + ec.message());
                co_return;
            }
            // Without it, a header and a body written separately meet Nagle and the client's delayed
            // ACK: 40 ms per reply.
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto conn = std::make_shared<connection>();
            {
                std::lock_guard lock(state.mutex);
                conn->id = ++state.accepted;
                ++state.open;
                state.changed.notify_all();
            }
            live.emplace(conn->id, conn);
            asio::co_spawn(ioc, run_session(std::move(socket), conn),
                           [this](std::exception_ptr e) { state.note_exception(e); });
        }
    }

    awaitable<void> run_session(tcp::socket socket, std::shared_ptr<connection> conn) {
        asio::steady_timer timer(ioc);
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            session_scope scope(*this, *conn, stream, timer);
            co_await serve_http(stream, *conn);
        } else {
            beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
            session_scope scope(*this, *conn, beast::get_lowest_layer(stream), timer);
            if (state.opts.stall_tls_handshake) {
                stream_io<beast::tcp_stream> tcp(*this, *conn, beast::get_lowest_layer(stream));
                co_await drain_until_closed(tcp);
                co_return;
            }
            auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
            if (ec || conn->closed) co_return;  // e.g. the client rejected the certificate
            co_await serve_http(stream, *conn);
        }
    }

    // The HTTP/1.1 keep-alive loop, on a plain or TLS stream.
    template <class Stream>
    awaitable<void> serve_http(Stream& stream, connection& conn) {
        stream_io<Stream> io(*this, conn, stream);
        beast::flat_buffer buffer;  // kept across requests: it may hold a pipelined request
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(64 * 1024);
            parser.body_limit(state.opts.request_body_limit);
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
                if (answer && co_await detail::send_reply(io, state, *answer, false, false) == next_step::close)
                    co_await lingering_close(conn);
                co_return;
            }
            const auto& request = parser.get();
            const recorded_request rec = to_record(request, conn.id);
            auto websocket = detail::decide_websocket(state, rec);
            if (websocket.matched && !websocket.answer) {  // accepted: the HTTP loop ends here
                co_await detail::serve_websocket(io, state, rec, websocket.script);
                co_return;
            }
            const reply r = websocket.matched ? std::move(*websocket.answer) : state.respond_to(rec);
            const bool keep_alive = request.keep_alive() && !r.close_connection;
            const bool head_request = request.method() == http::verb::head;
            switch (co_await detail::send_reply(io, state, r, keep_alive, head_request)) {
                case next_step::keep_open:
                    continue;
                case next_step::close:
                    close_connection(conn, false);
                    co_return;
                case next_step::reset:
                    close_connection(conn, true);
                    co_return;
                case next_step::stall:
                    co_await drain_until_closed(io);
                    co_return;
            }
        }
    }

    // After answering a request we did not read completely: closing at once with unread bytes
    // would send a reset that may destroy the answer before the client reads it. Stop sending,
    // discard what still comes for up to a second, then close.
    awaitable<void> lingering_close(connection& conn) {
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
    // (Not `while (co_await io.discard_some()) {}`: g++ 12.2 miscompiles a co_await loop condition
    // with an empty body; it crashes (ud2) once the awaited value arrives.)
    static awaitable<void> drain_until_closed(detail::connection_io& io) {
        for (;;) {
            const bool more = co_await io.discard_some();
            if (!more) co_return;
        }
    }

    // -- state --------------------------------------------------------------------------------------

    detail::dashboard_state state;  // shared with the test thread

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

// -- fake_dashboard ------------------------------------------------------------------------------------

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
    auto& state = impl_->state;
    std::lock_guard lock(state.mutex);
    state.expectations.push_back(detail::expectation_access::make(state.mutex, std::move(method), std::move(target)));
    return *state.expectations.back();
}

void fake_dashboard::route(std::string method, std::string target, route_handler handler) {
    auto& state = impl_->state;
    std::lock_guard lock(state.mutex);
    state.routes.push_back({std::move(method), std::move(target), std::make_shared<route_handler>(std::move(handler))});
}

void fake_dashboard::websocket_route(std::string target, websocket_handler handler) {
    auto& state = impl_->state;
    std::lock_guard lock(state.mutex);
    state.websocket_routes.push_back({std::move(target), std::make_shared<websocket_handler>(std::move(handler))});
}

std::uint64_t fake_dashboard::websocket_bytes_sent() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.websocket_bytes;
}

bool fake_dashboard::wait_for_websocket_bytes_sent(std::uint64_t n, std::chrono::milliseconds timeout) const {
    auto& state = impl_->state;
    std::unique_lock lock(state.mutex);
    return state.changed.wait_for(lock, timeout, [&] { return state.websocket_bytes >= n; });
}

std::vector<recorded_request> fake_dashboard::requests() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.record.recent();
}

std::uint64_t fake_dashboard::request_count() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.record.total();
}

std::uint64_t fake_dashboard::request_count(std::string_view method, std::string_view target) const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.record.count(method, target);
}

request_tally& fake_dashboard::tally(std::string method, std::string target, request_tally::key_function key) {
    auto& state = impl_->state;
    std::lock_guard lock(state.mutex);
    return state.record.add_tally(state.mutex, std::move(method), std::move(target), std::move(key));
}

std::vector<recorded_request> fake_dashboard::unmatched() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.unmatched;
}

std::vector<std::string> fake_dashboard::unmet_expectations() const {
    std::lock_guard lock(impl_->state.mutex);
    std::vector<std::string> out;
    for (const auto& e : impl_->state.expectations)
        if (auto what = detail::expectation_access::unmet(*e)) out.push_back(std::move(*what));
    return out;
}

std::vector<std::string> fake_dashboard::server_errors() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.errors;
}

std::size_t fake_dashboard::connections_accepted() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.accepted;
}

std::size_t fake_dashboard::open_connections() const {
    std::lock_guard lock(impl_->state.mutex);
    return impl_->state.open;
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
    auto& state = impl_->state;
    std::unique_lock lock(state.mutex);
    return state.changed.wait_for(lock, timeout, [&] { return state.record.total() >= n; });
}

bool fake_dashboard::wait_for_open_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    auto& state = impl_->state;
    std::unique_lock lock(state.mutex);
    return state.changed.wait_for(lock, timeout, [&] { return state.open == n; });
}

bool fake_dashboard::wait_for_idle_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    auto& state = impl_->state;
    std::unique_lock lock(state.mutex);
    return state.changed.wait_for(lock, timeout, [&] { return state.idle_connections >= n; });
}

bool fake_dashboard::wait_for_connections_accepted(std::size_t n, std::chrono::milliseconds timeout) const {
    auto& state = impl_->state;
    std::unique_lock lock(state.mutex);
    return state.changed.wait_for(lock, timeout, [&] { return state.accepted >= n; });
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
        impl_->state.note_error("stop(): sessions did not end within 2 s; io_context stopped");
        impl_->ioc.stop();
    }
    impl_->thread.join();
}

}  // namespace raycl::test
