// The fake dashboard's WebSocket sessions: the upgrade (route, token, handshake checks, the 101
// with its Sec-WebSocket-Accept) and the scripts (frames, generated lines, waits, closes, drops,
// resets, stalls), while a second task watches for the client closing.
//
// Written by hand rather than with beast::websocket: RFC 6455 server frames are a few header
// bytes, and the server never parses what the client sends (like Ray). That gives exact control
// over close codes, drops and resets, lets frames be batched in one reused buffer, and keeps
// Beast out of this TU.
#include "support/fake_dashboard_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace raycl::test {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using detail::connection_io;
using detail::dashboard_state;
using std::chrono::milliseconds;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A comma-separated header value holds this token (case-insensitive), as "keep-alive, Upgrade".
bool has_token(std::string_view list, std::string_view token) {
    const std::string lowered = detail::lower(list);
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
    explicit close_watch(const asio::any_io_executor& executor)
        : done(executor, asio::steady_timer::time_point::max()) {}
    bool running = true;
    bool close_sent = false;  // then the client's next bytes (its close reply) also cancel `done`
    bool hold_open = false;   // hold_open(): the client's end of stream does not close the connection
    bool client_eof = false;  // the client shut down its sending side
    asio::steady_timer done;  // cancelled when the watch ends
};

awaitable<void> watch_for_close(connection_io& io, close_watch& watch) {
    for (;;) {  // (the co_await outside the loop condition: see drain_until_closed in fake_dashboard_server.cpp)
        const bool more = co_await io.discard_some();
        if (!more) break;
        if (watch.close_sent) watch.done.cancel();  // the client answered our close frame
    }
    watch.client_eof = true;
    if (watch.hold_open && !io.closed()) {
        // run_script (still running: it waits for the session) probes until a write fails.
        watch.running = false;
        watch.done.cancel();
        co_return;
    }
    io.close(false);  // the client went away: end the script's writes and waits
    watch.running = false;
    watch.done.cancel();
}

// The steps, in one coroutine: it awaits only the connection's write() and pause() and the watch's
// timer. (Kept flat on purpose: with g++ 12.2, helper coroutines called from here with reference
// parameters received them shifted by one slot, at -O0 and -O2.)
awaitable<void> run_script(connection_io& io, dashboard_state& state, const websocket_script& script,
                           close_watch& watch) {
    using action = websocket_script::action;
    std::string buffer;   // reused for every frame and batch of frames
    std::string payload;  // send_lines: the frame being built
    std::string carry;    // send_lines: the rest of a line cut at max_frame_bytes
    for (const auto& item : script.steps()) {
        if (io.closed()) co_return;
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
            const bool sent = co_await io.write(buffer);
            if (!sent) co_return;
            state.count_websocket_bytes(buffer.size());
            if (kind == action::close) {
                // Up to 2 s for the client's close reply or FIN (the watch ends the wait as soon as
                // either arrives). The bound starts when the frame is written, not when the client
                // reads it: a client still working through buffered frames (megabytes of them in the
                // back-pressure tests, slower under sanitizers) must not find the socket gone when it
                // answers, or its teardown fails with ENOTCONN instead of a clean close.
                if (watch.running && !io.closed()) {
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
                const bool sent = co_await io.write(buffer);
                if (!sent || io.closed()) co_return;
                state.count_websocket_bytes(buffer.size());
                buffer.clear();
            }
        } else if (kind == action::wait) {
            const bool waited = co_await io.pause(item.duration);
            if (!waited) co_return;
        } else if (kind == action::wait_until) {
            for (;;) {
                bool ready = false;
                try {
                    ready = !item.condition || item.condition();
                } catch (const std::exception& e) {
                    state.note_error(std::string("websocket_script::wait_until condition threw: ") + e.what());
                    co_return;
                }
                if (ready) break;
                const bool waited = co_await io.pause(milliseconds{5});
                if (!waited) co_return;
            }
        } else if (kind == action::reset) {
            io.close(true);
            co_return;
        } else if (kind == action::drop) {
            co_return;  // serve_websocket closes (FIN)
        } else if (kind == action::hold_open) {
            watch.hold_open = true;
            while (!io.closed()) {
                if (watch.client_eof) {
                    const bool written = co_await io.write(std::string_view("\0", 1));
                    if (!written) break;
                }
                const bool waited = co_await io.pause(milliseconds{50});
                if (!waited) break;
            }
            io.close(false);
            co_return;
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

}  // namespace

// -- the upgrade and the session ---------------------------------------------------------------------

detail::websocket_decision detail::decide_websocket(dashboard_state& state, const recorded_request& rec) {
    websocket_decision d;
    if (!is_websocket_upgrade(rec)) return d;
    std::shared_ptr<fake_dashboard::websocket_handler> handler;
    {
        std::lock_guard lock(state.mutex);
        for (const auto& route : state.websocket_routes) {
            if (target_matches(route.target, rec.target)) {
                handler = route.handler;
                break;
            }
        }
        if (!handler) return d;
        d.matched = true;
        state.record_request(rec);
        if (auto denied = state.check_token(rec)) {
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
        state.note_error("websocket route handler for " + rec.target + " threw: " + e.what());
        d.answer = reply::text(500, std::string("websocket route handler threw: ") + e.what());
        return d;
    }
    if (d.script.declined()) d.answer = *d.script.decline_reply();
    return d;
}

// 101, then the script, while a second task watches for the client closing (the server never
// reads otherwise, like Ray). The session ends only once both are done: the watch uses `io`.
awaitable<void> detail::serve_websocket(connection_io& io, dashboard_state& state, const recorded_request& rec,
                                        const websocket_script& script) {
    const std::string head =
        "HTTP/1.1 101 Switching Protocols\r\nServer: raycl-fake-dashboard\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
        websocket_accept(rec.header("sec-websocket-key")) + "\r\n\r\n";
    if (!co_await io.write(head)) co_return;
    const auto executor = co_await asio::this_coro::executor;
    close_watch watch(executor);
    asio::co_spawn(executor, watch_for_close(io, watch), [&state](std::exception_ptr e) { state.note_exception(e); });
    try {
        co_await run_script(io, state, script, watch);
    } catch (...) {
        state.note_exception(std::current_exception());
    }
    io.close(false);         // no-op when the script reset or dropped it already
    while (watch.running) {  // the watch sees the close at once
        watch.done.expires_at(asio::steady_timer::time_point::max());
        co_await watch.done.async_wait(use_tuple);
    }
}

// -- websocket_script --------------------------------------------------------------------------------

websocket_script websocket_script::decline(reply r) {
    websocket_script script;
    script.declined_ = std::move(r);
    return script;
}

websocket_script& websocket_script::add(action kind, std::function<void(step&)> fill) {
    step s;
    s.kind = kind;
    if (fill) fill(s);
    steps_.push_back(std::move(s));
    return *this;
}

websocket_script& websocket_script::send_text(std::string frame) {
    return add(action::text, [&](step& s) { s.data = std::move(frame); });
}

websocket_script& websocket_script::send_lines(std::uint64_t first, std::uint64_t count, std::size_t lines_per_frame,
                                               std::size_t max_frame_bytes) {
    return add(action::lines, [&](step& s) {
        s.first = first;
        s.count = count;
        s.lines_per_frame = std::max<std::size_t>(lines_per_frame, 1);
        s.max_frame_bytes = max_frame_bytes;
    });
}

websocket_script& websocket_script::send_raw(std::string bytes) {
    return add(action::raw, [&](step& s) { s.data = std::move(bytes); });
}

websocket_script& websocket_script::wait(std::chrono::milliseconds duration) {
    return add(action::wait, [&](step& s) { s.duration = duration; });
}

websocket_script& websocket_script::wait_until(std::function<bool()> condition) {
    return add(action::wait_until, [&](step& s) { s.condition = std::move(condition); });
}

websocket_script& websocket_script::close(std::uint16_t code, std::string reason) {
    return add(action::close, [&](step& s) {
        s.code = code;
        s.data = std::move(reason);
    });
}

websocket_script& websocket_script::drop() {
    return add(action::drop);
}

websocket_script& websocket_script::reset() {
    return add(action::reset);
}

websocket_script& websocket_script::stall() {
    return add(action::stall);
}

websocket_script& websocket_script::hold_open() {
    return add(action::hold_open);
}

}  // namespace raycl::test
