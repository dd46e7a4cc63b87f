// Fuzzes the HTTP log stream's response handling: the input (after 4 control bytes) is the
// server's bytes, read in small pieces by Beast's http::read_header/read_some into the parser
// exactly as log_sources.cpp configures it (transport/log_stream_parser.hpp), with the same
// read_body_some loop; a 200 body goes piece by piece through core::log_body_decoder (raw, or
// Ray <= 2.44's status byte per chunk) into core::line_assembler, any other status has its body
// collected (<= 64 KiB) as for an error. Checked:
//  - every read makes progress (no endless loop), returns at most the lent chunk;
//  - the streamed body equals the body Beast's string_body parser gets from the whole input at
//    once when both complete, and a stream that completes means the whole-input parse does too;
//  - no piece spans two HTTP chunks, and a piece says it starts a chunk exactly when one of the
//    whole-input parse's chunks starts where it does (or it is the body's first);
//  - decoding the pieces gives what decoding the whole-input parse's chunks gives (log bytes,
//    state, error text): the decoder does not care where reads split a chunk;
//  - the lines are the decoded log split on '\n' under the oversize policy (fuzz_support.hpp oracle).
// Control bytes: read piece size, chunk buffer size (255 = the real 64 KiB), oversize policy
// (low bits; bit 7: the status-byte framing), max_message_size.
#include "core/log_framing.hpp"
#include "fuzz_support.hpp"
#include "transport/log_stream_parser.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <optional>

namespace http = boost::beast::http;
using raycl::fuzz::input_view;
using namespace raycl;

namespace {

constexpr std::size_t max_error_body = 64 * 1024;  // as log_sources.cpp

/// A SyncReadStream serving the input in pieces of at most `piece` bytes, then EOF.
class piece_stream {
public:
    piece_stream(std::string_view data, std::size_t piece) : data_(data), piece_(piece) {}

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
        ec = {};
        if (data_.empty()) {
            ec = boost::asio::error::eof;
            return 0;
        }
        const std::size_t n =
            boost::asio::buffer_copy(buffers, boost::asio::buffer(data_.data(), std::min(piece_, data_.size())));
        data_.remove_prefix(n);
        return n;
    }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers) {
        boost::system::error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    std::string_view data_;
    std::size_t piece_;
};

enum class read_end { body, done, failed };

struct reference_body {
    std::string body;
    std::vector<std::size_t> chunk_starts;  ///< offsets of the chunks' first bytes (non-empty chunks)
};

/// Beast's parse of the whole input at once: the reference body (nullopt when it fails).
std::optional<reference_body> whole_body(std::string_view input) {
    http::response_parser<http::string_body> parser;
    // A body wholly inside the input is at most as long; unbounded, the string body would
    // reserve whatever Content-Length the input declares (70 GB in one of the fuzzer's inputs).
    parser.body_limit(input.size());
    parser.eager(true);
    std::vector<std::size_t> starts;
    auto on_chunk_header = [&](std::uint64_t size, boost::beast::string_view, boost::system::error_code&) {
        if (size > 0) starts.push_back(parser.get().body().size());
    };
    parser.on_chunk_header(on_chunk_header);
    boost::system::error_code ec;
    std::string_view rest = input;
    while (!parser.is_done()) {
        if (rest.empty()) {  // the server closed the connection: ends an EOF-delimited body
            parser.put_eof(ec);
            if (ec) return std::nullopt;
            break;
        }
        const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(used);
        if (ec == http::error::need_more) ec = {};
        if (ec || (used == 0 && !rest.empty())) return std::nullopt;
    }
    if (!parser.is_done()) return std::nullopt;
    return reference_body{parser.release().body(), std::move(starts)};
}

/// The reference decoding: each of the reference's chunks fed whole.
core::log_body_decoder decode_whole(core::log_framing framing, const reference_body& reference, std::string& log) {
    core::log_body_decoder decoder(framing);
    std::size_t at = 0;
    for (std::size_t i = 0; i <= reference.chunk_starts.size(); ++i) {
        const std::size_t end = i < reference.chunk_starts.size() ? reference.chunk_starts[i] : reference.body.size();
        if (end > at) log.append(decoder.feed(std::string_view(reference.body).substr(at, end - at), true));
        at = std::max(at, end);
    }
    return decoder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input_view in(data, size);
    const std::size_t piece = 1 + in.byte();
    const std::uint8_t chunk_byte = in.byte();
    stream_limits limits;
    const std::uint8_t policy_byte = in.byte();
    limits.oversize = static_cast<oversize_policy>((policy_byte & 0x7F) % 3);
    const auto framing = (policy_byte & 0x80) ? core::log_framing::leading_byte : core::log_framing::raw;
    limits.max_message_size = in.byte();
    const std::string_view input = in.rest();
    const std::size_t chunk_size = chunk_byte == 255 ? transport::log_stream_chunk_size : 1 + chunk_byte % 64;

    piece_stream stream(input, piece);
    boost::beast::flat_buffer buffer;
    std::optional<transport::log_stream_body> framed;
    framed.emplace();
    auto* parser = &framed->parser();
    boost::system::error_code ec;
    http::read_header(stream, buffer, *parser, ec);
    if (ec) return 0;  // log_sources.cpp: "reading the log stream header failed"
    RAYCL_FUZZ_CHECK(parser->is_header_done());

    std::vector<char> chunk(chunk_size);
    std::size_t reads = 0;
    // log_sources.cpp read_body_some(), with the synchronous read_some.
    auto read_body_some = [&](std::string_view& out, bool& starts_chunk) {
        for (;;) {
            RAYCL_FUZZ_CHECK(++reads <= 4 * input.size() + 16);  // every read makes progress
            if (parser->is_done()) return read_end::done;
            framed->lend(chunk.data(), chunk.size());
            boost::system::error_code read_ec;
            http::read_some(stream, buffer, *parser, read_ec);
            const std::size_t remaining = parser->get().body().size;
            RAYCL_FUZZ_CHECK(remaining <= chunk.size());
            const std::size_t received = framed->received(chunk.size());
            RAYCL_FUZZ_CHECK(received == chunk.size() - remaining);
            if (read_ec && read_ec != http::error::need_buffer) {
                if (read_ec == http::error::end_of_stream && parser->is_done()) return read_end::done;
                return read_end::failed;
            }
            if (received > 0) {
                out = std::string_view(chunk.data(), received);
                starts_chunk = framed->take_chunk_start();
                return read_end::body;
            }
        }
    };

    const int status = static_cast<int>(parser->get().result_int());
    std::string body;
    std::string log;                                   // the decoded 200 body
    std::vector<std::pair<std::size_t, bool>> pieces;  // (offset in body, starts a chunk)
    read_end end = read_end::body;
    std::vector<log_line> lines;
    core::line_assembler assembler(limits);
    core::log_body_decoder decoder(framing);
    core::feed_status fed = core::feed_status::ok;
    while (end == read_end::body) {
        std::string_view got;
        bool starts_chunk = false;
        end = read_body_some(got, starts_chunk);
        if (end != read_end::body) break;
        if (status != 200 && body.size() >= max_error_body) break;
        pieces.emplace_back(body.size(), starts_chunk);
        if (status == 200) {
            const std::string_view decoded = decoder.feed(got, starts_chunk);
            if (fed == core::feed_status::ok) fed = assembler.feed(log.size(), decoded, lines);
            log.append(decoded);
        }
        body.append(got);
        RAYCL_FUZZ_CHECK(body.size() <= input.size());
    }
    if (status == 200 && end == read_end::done) {
        decoder.finish();
        if (fed == core::feed_status::ok) fed = assembler.finish(lines);
    }

    const std::optional<reference_body> reference = whole_body(input);
    if (end == read_end::done) {
        RAYCL_FUZZ_CHECK(reference.has_value());
        RAYCL_FUZZ_CHECK(reference->body == body);
    } else if (reference && status == 200) {
        RAYCL_FUZZ_CHECK(reference->body.starts_with(body));
    }
    if (reference && status == 200) {
        // Pieces never span two chunks and flag exactly the chunk starts.
        const auto& starts = reference->chunk_starts;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const auto [offset, flagged] = pieces[i];
            const std::size_t piece_end = i + 1 < pieces.size() ? pieces[i + 1].first : body.size();
            const bool is_start = offset == 0 || std::binary_search(starts.begin(), starts.end(), offset);
            RAYCL_FUZZ_CHECK(flagged == is_start);
            const auto inside = std::upper_bound(starts.begin(), starts.end(), offset);
            RAYCL_FUZZ_CHECK(inside == starts.end() || *inside >= piece_end);
        }
        if (end == read_end::done) {
            std::string whole_log;
            const auto whole = decode_whole(framing, *reference, whole_log);
            auto finished = whole;
            finished.finish();
            RAYCL_FUZZ_CHECK(whole_log == log);
            RAYCL_FUZZ_CHECK(finished.status() == decoder.status());
            RAYCL_FUZZ_CHECK(finished.error_text() == decoder.error_text());
            if (framing == core::log_framing::raw) RAYCL_FUZZ_CHECK(log == body);
        }
    }
    if (status == 200 && fed == core::feed_status::ok) {
        // Default limits are far above what a fuzz input holds, so only the oversize policy
        // can stop the assembler.
        const auto replayed = raycl::fuzz::check_lines(log, lines, limits);
        if (end == read_end::done) RAYCL_FUZZ_CHECK(replayed.end == log.size());
    }
    return 0;
}
