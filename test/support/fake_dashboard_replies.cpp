// How the fake dashboard's answers go on the wire: a reply encoded as HTTP/1.1 bytes, sent at
// once or paced (delays, chunk intervals, drips), cut or stalled by a fault, streamed from a
// chunk_source, or replaced by raw bytes. Everything goes through connection_io: no Beast streams
// here (only Beast's table of reason phrases).
#include "support/fake_dashboard_impl.hpp"

#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <limits>

namespace raycl::test {

namespace {

namespace http = boost::beast::http;
using boost::asio::awaitable;
using detail::connection_io;
using detail::next_step;
using std::chrono::milliseconds;

constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

// A reply as bytes: the header, then body pieces, each sent after its pause.
struct wire_reply {
    std::string head;
    std::vector<std::pair<milliseconds, std::string>> body;
    std::size_t body_size = 0;
    std::size_t end_size = 0;  // the bytes at the end of the body that end it
};

bool has_header(const reply& r, std::string_view name) {
    return std::any_of(r.headers.begin(), r.headers.end(),
                       [&](const auto& field) { return detail::lower(field.first) == name; });
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
            w.body.emplace_back(first ? milliseconds{0} : r.chunk_interval, chunk_encoded(chunk));
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

// Writes the pieces in one gathered write, or only what fits below `limit`; false when it did
// not write them all (limit reached or write failed).
awaitable<bool> write_limited(connection_io& io, std::array<std::string_view, 3> pieces, std::size_t& sent,
                              std::size_t limit) {
    std::size_t total = 0;
    for (auto piece : pieces) total += piece.size();
    if (limit - sent >= total) {
        if (!co_await io.write(pieces)) co_return false;
        sent += total;
        co_return true;
    }
    std::string head;  // rare: only the bytes up to the limit
    for (auto piece : pieces) head += piece;
    head.resize(limit - sent);
    if (co_await io.write(head)) sent = limit;
    co_return false;
}

// Writes at most `limit` body bytes, `piece` bytes at a time with `interval` between pieces.
awaitable<bool> write_body(connection_io& io, const wire_reply& wire, std::size_t limit, std::size_t piece,
                           milliseconds interval) {
    std::size_t sent = 0;
    bool first_piece = true;
    for (const auto& [pause_before, bytes] : wire.body) {
        if (sent >= limit) break;
        if (pause_before.count() > 0 && !co_await io.pause(pause_before)) co_return false;
        std::string_view rest(bytes);
        rest = rest.substr(0, std::min(rest.size(), limit - sent));
        while (!rest.empty()) {
            if (!first_piece && piece != no_limit && !co_await io.pause(interval)) co_return false;
            const auto n = std::min(rest.size(), piece);
            if (!co_await io.write(rest.substr(0, n))) co_return false;
            sent += n;
            rest.remove_prefix(n);
            first_piece = false;
        }
    }
    co_return true;
}

// A reply::stream body: one chunk per next_chunk() call, each write awaited before the next
// call (back-pressure), `limit` wire bytes at most (close_mid_body, stall_mid_body).
awaitable<next_step> send_stream(connection_io& io, detail::dashboard_state& state, const reply& r, bool keep_alive) {
    const wire_reply wire = encode(r, keep_alive, false);
    if (!co_await io.write(wire.head)) co_return next_step::close;
    const bool cut = r.fault_kind == fault::close_mid_body || r.fault_kind == fault::stall_mid_body;
    const std::size_t limit = cut ? r.fault_after_bytes : no_limit;
    const next_step at_limit = r.fault_kind == fault::stall_mid_body ? next_step::stall : next_step::close;
    std::size_t sent = 0;
    std::optional<milliseconds> wait_before;
    for (;;) {
        if (wait_before && !co_await io.pause(*wait_before)) co_return next_step::close;
        std::optional<std::string> chunk;
        try {
            chunk = r.next_chunk();
        } catch (const std::exception& e) {
            state.note_error(std::string("reply::stream source threw: ") + e.what());
            co_return next_step::close;
        }
        if (!chunk) break;
        if (chunk->empty()) {  // nothing yet: ask again later
            wait_before = std::max(r.chunk_interval, milliseconds{5});
            continue;
        }
        const std::string size_line = hex(chunk->size()) + "\r\n";
        if (!co_await write_limited(io, {size_line, *chunk, std::string_view("\r\n")}, sent, limit))
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
    if (!co_await write_limited(io, {std::string_view("0\r\n\r\n"), {}, {}}, sent, limit))
        co_return sent >= limit ? at_limit : next_step::close;
    co_return keep_alive ? next_step::keep_open : next_step::close;
}

// Raw bytes instead of an encoded response, dripped when the reply says so, then its ending.
awaitable<next_step> send_raw(connection_io& io, const reply& r) {
    std::string_view rest(*r.raw);
    const std::size_t piece = r.fault_kind == fault::drip_body ? std::max<std::size_t>(r.drip_bytes, 1) : rest.size();
    for (bool first = true; !rest.empty(); first = false) {
        if (!first && !co_await io.pause(r.drip_interval)) co_return next_step::close;
        const auto n = std::min(rest.size(), piece);
        if (!co_await io.write(rest.substr(0, n))) co_return next_step::close;
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

}  // namespace

// -- reply -------------------------------------------------------------------------------------------

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

reply reply::stream(chunk_source next_chunk, std::chrono::milliseconds interval) {
    reply r = text(200, {});
    r.chunked = true;
    r.next_chunk = std::move(next_chunk);
    r.chunk_interval = interval;
    return r;
}

// -- sending -----------------------------------------------------------------------------------------

awaitable<next_step> detail::send_reply(connection_io& io, dashboard_state& state, const reply& r, bool keep_alive,
                                        bool head_request) {
    if (r.delay.count() > 0 && !co_await io.pause(r.delay)) co_return next_step::close;
    switch (r.fault_kind) {
        case fault::close_before_headers:
            co_return next_step::close;
        case fault::reset_before_headers:
            co_return next_step::reset;
        case fault::stall_before_headers:
            co_return next_step::stall;
        case fault::malformed_status_line:
            co_await io.write("this is not an HTTP response\r\n\r\n");
            co_return next_step::close;
        default:
            break;
    }
    if (r.raw) co_return co_await send_raw(io, r);
    if (r.next_chunk && !head_request) co_return co_await send_stream(io, state, r, keep_alive);
    const wire_reply wire = encode(r, keep_alive, head_request);
    const bool paced =
        std::any_of(wire.body.begin(), wire.body.end(), [](const auto& piece) { return piece.first.count() > 0; });
    if (r.fault_kind == fault::none && !paced) {  // the common case: one write
        std::string all = wire.head;
        for (const auto& piece : wire.body) all += piece.second;
        if (!co_await io.write(all)) co_return next_step::close;
        co_return keep_alive ? next_step::keep_open : next_step::close;
    }
    if (!co_await io.write(wire.head)) co_return next_step::close;

    std::size_t limit = no_limit;
    if (r.fault_kind == fault::close_mid_body || r.fault_kind == fault::stall_mid_body)
        limit = r.fault_after_bytes;
    else if (r.fault_kind == fault::stall_before_end || r.fault_kind == fault::close_before_end)
        limit = wire.body_size - wire.end_size;
    const bool drip = r.fault_kind == fault::drip_body;
    const std::size_t piece = drip ? std::max<std::size_t>(r.drip_bytes, 1) : no_limit;
    if (!co_await write_body(io, wire, limit, piece, r.drip_interval)) co_return next_step::close;

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

}  // namespace raycl::test
