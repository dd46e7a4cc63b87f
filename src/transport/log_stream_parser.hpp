// The HTTP parser of the log stream (`/api/v0/logs/stream`) and how a read lends it the chunk
// buffer; shared by log_sources.cpp and the fuzz target test/fuzz/http_stream.cpp.
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <optional>

namespace raycl::transport {

/// Parses the response of a log stream: the body is delivered into a caller's buffer.
using log_stream_parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

/// Bytes of body one read may return.
inline constexpr std::size_t log_stream_chunk_size = 64 * 1024;

/// Starts a fresh parser for a response. No body limit: a tail is bounded by stream_limits.
inline void start_log_stream_parser(std::optional<log_stream_parser>& parser) {
    parser.emplace();
    parser->body_limit(boost::none);
}

/// Points the parser's body at `chunk` before a read; afterwards `size - body().size` bytes
/// of `chunk` hold body data. Not eager: an eager parser's read waits for more bytes after the
/// last whole chunk instead of returning the body bytes it has (a stalled stream would hold
/// its last lines back until the read fails, and lose them then).
inline void lend_chunk(log_stream_parser& parser, char* chunk, std::size_t size) noexcept {
    auto& body = parser.get().body();
    body.data = chunk;
    body.size = size;
    body.more = true;
}

}  // namespace raycl::transport
