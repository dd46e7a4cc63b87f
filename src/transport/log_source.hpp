// Connections that deliver a job's log bytes (WebSocket tail, HTTP chunked stream).
// This header stays free of Beast; the implementations live in log_sources.cpp.
#pragma once

#include "transport/http_session.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace raycl::transport {

/// The server answered with a non-success HTTP status (or declined the WebSocket upgrade).
class http_status_error : public std::exception {
public:
    http_status_error(int status, std::string body) : status_(status), body_(std::move(body)) {}
    int status() const noexcept { return status_; }
    const std::string& body() const noexcept { return body_; }
    const char* what() const noexcept override { return "HTTP status error"; }

private:
    int status_;
    std::string body_;
};

/// One connection delivering a job's log from its first byte, chunk by chunk.
/// All member functions run on the strand the source was made with.
class log_source {
public:
    virtual ~log_source() = default;

    /// Connects and starts the stream. Throws attempt_error (connect-level failures) or
    /// http_status_error (a declined upgrade or a non-200 answer, with the body).
    virtual boost::asio::awaitable<void> open(seconds connect_timeout) = 0;

    /// The next bytes, valid until the next call; nullopt when the server ended the stream
    /// normally (WebSocket close 1000, end of the HTTP body). Throws attempt_error:
    /// read_timeout when nothing arrived within `idle_timeout` (unset: wait forever),
    /// connection_lost for resets and abnormal closes, cancelled after close().
    virtual boost::asio::awaitable<std::optional<std::string_view>> read(std::optional<seconds> idle_timeout) = 0;

    /// Closes the socket at once; a pending read completes with `cancelled`.
    virtual void close() noexcept = 0;
};

/// `GET target` upgraded to a WebSocket; each TEXT/BINARY message is one chunk. Messages
/// larger than `max_message_bytes` fail with body_too_large.
std::unique_ptr<log_source> make_websocket_source(const strand_type& strand,
                                                  std::shared_ptr<const session_settings> settings, std::string target,
                                                  std::size_t max_message_bytes);

/// `GET target` answered with a (chunked) body that is read as it arrives.
std::unique_ptr<log_source> make_http_stream_source(const strand_type& strand,
                                                    std::shared_ptr<const session_settings> settings,
                                                    std::string target);

}  // namespace raycl::transport
