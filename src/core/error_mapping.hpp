// The one table from what can go wrong to raycl's error codes and retry classes (pure).
//
// Every failure raycl sees is one of: an HTTP status the server answered, a transport failure
// below HTTP (reported by src/transport as a `transport_failure`), or a stream limit reached
// while assembling log lines (`feed_status`, src/core/log_lines.hpp). This file maps each to
// the public `error_kind` and to how retries and log tails treat it. Nothing else maps them.
#pragma once

#include "core/retry.hpp"

#include <raycl/error.hpp>

#include <string_view>

namespace raycl::core {

/// Transport failures below HTTP: the transport's whole vocabulary.
enum class transport_failure {
    resolve_failed,      ///< name resolution failed
    connect_refused,     ///< TCP connect failed
    connect_timeout,     ///< connect, TLS or WebSocket handshake exceeded the connect timeout
    tls_failed,          ///< TLS handshake or certificate verification failed
    stale_connection,    ///< a reused keep-alive connection was closed before any response byte
    read_timeout,        ///< sending or receiving exceeded the read (or idle) timeout
    connection_lost,     ///< connection closed/reset after the request went out, or an abnormal close
    body_too_large,      ///< response body or WebSocket message above its cap
    malformed_response,  ///< unparsable HTTP
    body_unreadable,     ///< a request body streamed from a file could not be read, or changed size
    cancelled,           ///< the operation was cancelled (closed by raycl, or the client shut down)
};

/// How raycl treats one transport failure.
struct failure_mapping {
    error_kind kind;          ///< the public code
    attempt_outcome outcome;  ///< what the retry decision sees
    std::string_view text;    ///< the sentence of the error message, e.g. "connect timed out"
};

/// How raycl treats one HTTP status.
struct status_mapping {
    error_kind kind;          ///< the public code (unused for 2xx)
    attempt_outcome outcome;  ///< success (2xx), retryable_status (502/503/504) or final_error
    /// A log tail that met this status reconnects (server trouble) instead of ending (400, 401,
    /// 403, 404, 501: the caller's request can never succeed).
    bool tail_reconnects;
};

/// The row of a transport failure.
failure_mapping map_failure(transport_failure failure) noexcept;

/// The row of an HTTP status: 400/405/409/422 and other 4xx invalid_argument, 401
/// unauthorized, 403 forbidden, 404 not_found, 408 timeout, 413 request_too_large (the request
/// body is larger than the server accepts), 429 limit_exceeded, 501 unsupported (Ray: Serve is
/// not installed on the cluster), 502/503/504 unavailable, other 5xx server_error, anything else
/// (1xx, 3xx: redirects are not followed) protocol_error.
status_mapping map_status(int http_status) noexcept;

/// True for 2xx.
constexpr bool is_success_status(int http_status) noexcept {
    return http_status >= 200 && http_status < 300;
}

}  // namespace raycl::core
