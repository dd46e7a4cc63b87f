// The HTTP parser of the log stream (`/api/v0/logs/stream`), how a read lends it the chunk
// buffer, and where the server's HTTP chunks start; shared by log_sources.cpp and the fuzz
// target test/fuzz/http_stream.cpp.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string_type.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace raycl::transport {

/// Parses the response of a log stream: the body is delivered into a caller's buffer.
using log_stream_parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

/// Bytes of body one read may return.
inline constexpr std::size_t log_stream_chunk_size = 64 * 1024;

/// One response of a log stream: its parser (no body limit: a tail is bounded by
/// stream_limits) and where the HTTP chunks the server wrote start. Ray up to 2.44 puts a
/// status byte at the start of each (core/log_framing.hpp), so a read must not mix two
/// chunks: the parser is not eager, and each read (Beast's read_some: one `put`) parses
/// either a chunk header or a piece of one chunk's body, never both.
class log_stream_body {
public:
    log_stream_body() {
        parser_.body_limit(boost::none);
        parser_.on_chunk_header(on_chunk_header_);
    }
    log_stream_body(const log_stream_body&) = delete;  // the parser holds a reference to the callback
    log_stream_body& operator=(const log_stream_body&) = delete;

    log_stream_parser& parser() noexcept { return parser_; }

    /// Points the parser's body at `chunk` before a read.
    void lend(char* chunk, std::size_t size) noexcept {
        auto& body = parser_.get().body();
        body.data = chunk;
        body.size = size;
        body.more = true;
    }

    /// After a read into a lent buffer of `lent` bytes: how many body bytes arrived.
    std::size_t received(std::size_t lent) const noexcept { return lent - parser_.get().body().size; }

    /// Call when handing out received bytes: true when they begin a chunk the server wrote
    /// (a chunk header was parsed since the last bytes were handed out, or they are the first
    /// bytes of the body: a body that is not chunked is one chunk).
    bool take_chunk_start() noexcept {
        const bool starts = chunk_started_ || first_;
        chunk_started_ = false;
        first_ = false;
        return starts;
    }

private:
    log_stream_parser parser_;
    bool chunk_started_ = false;
    bool first_ = true;
    std::function<void(std::uint64_t, boost::beast::string_view, boost::beast::error_code&)> on_chunk_header_ =
        [this](std::uint64_t size, boost::beast::string_view, boost::beast::error_code&) {
            if (size > 0) chunk_started_ = true;  // size 0: the last chunk, no data
        };
};

}  // namespace raycl::transport
