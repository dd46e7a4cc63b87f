// Connections that deliver a log's bytes: the WebSocket tail of a job, and the HTTP chunked
// stream of `/api/v0/logs/stream` (any log). This header stays free of Beast; the
// implementations live in log_sources.cpp.
#pragma once

#include "core/log_framing.hpp"
#include "transport/http_session.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace raycl::transport {

/// The server's refusal of a log connection: a declined WebSocket upgrade or a non-200 answer
/// to the stream request, with (the start of) its body.
struct refusal {
    int status = 0;
    std::string body;
};

using core::log_piece;

/// One connection delivering a log from its first byte, chunk by chunk. Reads have no timeout
/// of their own: the tail decides when silence is too long and closes the source. All member
/// functions run on the strand the source was made with.
class log_source {
public:
    virtual ~log_source() = default;

    /// Connects and starts the stream within `connect_timeout`: nullopt when the log is on its
    /// way, else the server's refusal. Throws transport::failure.
    virtual boost::asio::awaitable<std::optional<refusal>> open(seconds connect_timeout) = 0;

    /// The next bytes: one or more pieces, in order (WebSocket: every whole message already
    /// received, so one call takes up to a socket read's worth; HTTP stream: body bytes, never
    /// from two HTTP chunks at once), each valid until the next call; nullopt when the server
    /// ended the stream normally (WebSocket close 1000, end of the HTTP body). Throws
    /// transport::failure: connection_lost for resets and abnormal closes, body_too_large for a
    /// WebSocket message over the cap, cancelled after close(). A failure that follows messages
    /// of the same read is thrown by the next call, after those messages were returned.
    virtual boost::asio::awaitable<std::optional<std::span<const log_piece>>> read() = 0;

    /// Closes the socket at once; a pending read completes with `cancelled`.
    virtual void close() noexcept = 0;
};

/// `GET target` upgraded to a WebSocket; each TEXT/BINARY message is one chunk. Messages
/// larger than `max_message_bytes` fail with body_too_large. The opening and closing
/// handshakes are bounded by the connect timeout.
std::unique_ptr<log_source> make_websocket_source(const strand_type& strand,
                                                  std::shared_ptr<const session_settings> settings, std::string target,
                                                  std::size_t max_message_bytes);

/// `GET target` answered with a (chunked) body that is read as it arrives; each piece says
/// whether it begins one of the server's HTTP chunks.
std::unique_ptr<log_source> make_http_stream_source(const strand_type& strand,
                                                    std::shared_ptr<const session_settings> settings,
                                                    std::string target);

}  // namespace raycl::transport
