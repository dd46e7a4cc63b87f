// How Ray frames the bodies of `/api/v0/logs/{file,stream}`, and the decoder that turns a
// framed body back into log bytes or the server's error (pure: no I/O).
//
// Up to Ray 2.44 every HTTP chunk the server writes starts with one status byte (Ray's
// `leading_1` format, state_head.py): `1` and log bytes follow, or `0` and an error text
// follow, after which the server ends the body (the status stays 200). Ray 2.45 removed the
// byte: raw log bytes, errors as HTTP 500. Ray 2.33-2.44 also offer `format=text` (raw bytes,
// errors as a `[get_logs] Fetch log error: ` line inside the log); raycl does not use it, since
// only the leading byte tells an error from log text for certain (docs/ray-versions.md).
//
// The byte is per chunk the server wrote, so the transport reports where each HTTP chunk
// starts (transport/log_stream_parser.hpp) and never hands out bytes of two chunks at once.
// A proxy that re-chunks the body breaks the framing: a chunk that does not start with a
// status byte is reported as `malformed` instead of being passed off as log text.
#pragma once

#include "core/ray_version.hpp"
#include "core/requests.hpp"

#include <raycl/error.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// Bytes of a log as one read delivered them.
struct log_piece {
    std::string_view data;     ///< valid until the next read
    bool starts_chunk = true;  ///< begins an HTTP chunk the server wrote (each WebSocket message counts as one)
};

/// How a `/api/v0/logs/*` body is framed.
enum class log_framing {
    raw,           ///< log bytes as they are (Ray 2.45+; WebSocket frames on every release)
    leading_byte,  ///< a status byte at the start of every chunk (Ray <= 2.44)
};

/// The framing of `/api/v0/logs/*` bodies on this server (leading_byte before 2.45).
log_framing log_framing_of(const server_version& server) noexcept;

/// Decodes one response body, piece by piece (a piece never spans two chunks).
class log_body_decoder {
public:
    /// Where the decoding stands.
    enum class state {
        log,             ///< log bytes so far
        error_incoming,  ///< a `0` marker started the server's error text: keep reading to complete it
        server_error,    ///< the server's error is complete: error_text()
        malformed,       ///< a chunk did not start with `0` or `1`
    };

    /// The longest error text kept (Ray's are a few hundred bytes).
    static constexpr std::size_t max_error_text = 4096;

    explicit log_body_decoder(log_framing framing = log_framing::raw) noexcept : framing_(framing) {}

    /// Starts a new body (a new connection) with `framing`.
    void reset(log_framing framing) noexcept;

    /// The log bytes in `piece`, a view into it. `starts_chunk`: the piece begins a chunk the
    /// server wrote; the first bytes of a body always do, whatever the flag says (a body that
    /// is not chunked is one chunk). In `raw` framing every byte is log. Once the state is not
    /// `log`, nothing more is log: the result is empty.
    std::string_view feed(std::string_view piece, bool starts_chunk);

    /// The body (or its connection) ended: an error text being collected is complete.
    void finish() noexcept;

    state status() const noexcept { return state_; }
    /// In `server_error`: the server's error text without Ray's "Closing HTTP stream due to
    /// internal server error." line (at most max_error_text bytes). In `error_incoming`: the
    /// text so far.
    const std::string& error_text() const noexcept { return error_; }

private:
    log_framing framing_;
    state state_ = state::log;
    bool awaiting_marker_ = true;
    std::string error_;
};

/// The client_error of the server's in-band error (state `server_error`): kind server_error,
/// "<request> failed: Ray reported an error inside the log body (HTTP 200): <first line>",
/// the text kept as the server body; `secrets` redacted.
client_error in_band_log_error(const request_spec& request, std::string_view text,
                               const std::vector<std::string>& secrets);

/// The client_error of a `malformed` body: protocol_error; `described` names the request or
/// the stream (already sanitized).
client_error malformed_log_body_error(const std::string& described);

/// A whole body, decoded: its log text and how the decoding ended.
struct decoded_log_body {
    std::string text;                                               ///< the log bytes before any error
    log_body_decoder::state status = log_body_decoder::state::log;  ///< log, server_error or malformed
    std::string error_text;                                         ///< in server_error: the server's error
};

/// Decodes a whole body read at once: `chunk_starts` are the offsets where its HTTP chunks
/// start (empty for a body that was not chunked). Never throws on the body's content.
decoded_log_body decode_framed_log_body(log_framing framing, std::string_view body,
                                        std::span<const std::size_t> chunk_starts);

/// decode_framed_log_body, as the log text; throws in_band_log_error or malformed_log_body_error.
std::string decode_log_body(log_framing framing, const request_spec& request, std::string_view body,
                            std::span<const std::size_t> chunk_starts, const std::vector<std::string>& secrets);

}  // namespace raycl::core
