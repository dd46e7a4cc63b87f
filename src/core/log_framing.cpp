#include "core/log_framing.hpp"

#include "core/responses.hpp"
#include "core/sanitize.hpp"

#include <algorithm>

namespace raycl::core {
namespace {

/// The line Ray puts before the reason of an in-band error (state_head.py, `leading_1`).
constexpr std::string_view closing_line = "Closing HTTP stream due to internal server error.\n";

}  // namespace

log_framing log_framing_of(const server_version& server) noexcept {
    // A lower bound (token auth: 2.52+) is past 2.45 already.
    return check(server, capability::raw_log_bodies) == support::no ? log_framing::leading_byte : log_framing::raw;
}

void log_body_decoder::reset(log_framing framing) noexcept {
    framing_ = framing;
    state_ = state::log;
    awaiting_marker_ = true;
    error_.clear();
}

std::string_view log_body_decoder::feed(std::string_view piece, bool starts_chunk) {
    if (framing_ == log_framing::raw) return state_ == state::log ? piece : std::string_view{};
    if (starts_chunk) {
        awaiting_marker_ = true;
        // Ray ends the body after its error chunk: the next chunk completes the error text.
        if (state_ == state::error_incoming) finish();
    }
    if (state_ == state::server_error || state_ == state::malformed) return {};
    if (state_ == state::error_incoming) {
        error_.append(piece.substr(0, max_error_text - std::min(max_error_text, error_.size())));
        return {};
    }
    if (!awaiting_marker_ || piece.empty()) return piece;
    awaiting_marker_ = false;
    const char marker = piece.front();
    piece.remove_prefix(1);
    if (marker == '1') return piece;
    if (marker != '0') {
        state_ = state::malformed;
        return {};
    }
    state_ = state::error_incoming;
    error_.assign(piece.substr(0, max_error_text));
    return {};
}

void log_body_decoder::finish() noexcept {
    if (state_ != state::error_incoming) return;
    state_ = state::server_error;
    if (error_.starts_with(closing_line)) error_.erase(0, closing_line.size());
}

client_error in_band_log_error(const request_spec& request, std::string_view text,
                               const std::vector<std::string>& secrets) {
    return describe_failure(error_kind::server_error, request, "Ray reported an error inside the log body (HTTP 200)",
                            text, 200, secrets);
}

client_error malformed_log_body_error(const std::string& described) {
    return client_error(error_kind::protocol_error,
                        described +
                            " sent a chunk without Ray's leading status byte (Ray <= 2.44 starts every chunk with 0 "
                            "or 1; did a proxy re-chunk the body?)",
                        described);
}

decoded_log_body decode_framed_log_body(log_framing framing, std::string_view body,
                                        std::span<const std::size_t> chunk_starts) {
    log_body_decoder decoder(framing);
    decoded_log_body decoded;
    decoded.text.reserve(body.size());
    // Every piece runs from one chunk start to the next, so each starts a chunk.
    std::size_t at = 0;
    for (const std::size_t start : chunk_starts) {
        const std::size_t end = std::min(start, body.size());
        if (end <= at) continue;
        decoded.text.append(decoder.feed(body.substr(at, end - at), true));
        at = end;
    }
    if (at < body.size()) decoded.text.append(decoder.feed(body.substr(at), true));
    decoder.finish();
    decoded.status = decoder.status();
    if (decoded.status == log_body_decoder::state::server_error) decoded.error_text = decoder.error_text();
    return decoded;
}

std::string decode_log_body(log_framing framing, const request_spec& request, std::string_view body,
                            std::span<const std::size_t> chunk_starts, const std::vector<std::string>& secrets) {
    auto decoded = decode_framed_log_body(framing, body, chunk_starts);
    switch (decoded.status) {
        case log_body_decoder::state::server_error:
            throw in_band_log_error(request, decoded.error_text, secrets);
        case log_body_decoder::state::malformed:
            throw malformed_log_body_error(sanitize(request.describe(), secrets));
        default:
            return std::move(decoded.text);
    }
}

}  // namespace raycl::core
