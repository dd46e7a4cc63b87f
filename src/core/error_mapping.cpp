#include "core/error_mapping.hpp"

namespace raycl::core {

failure_mapping map_failure(transport_failure failure) noexcept {
    using enum transport_failure;
    switch (failure) {
        case resolve_failed:
            return {error_kind::unavailable, attempt_outcome::not_sent, "cannot resolve the dashboard host"};
        case connect_refused:
            return {error_kind::unavailable, attempt_outcome::not_sent, "cannot connect to the dashboard"};
        case connect_timeout:
            return {error_kind::timeout, attempt_outcome::not_sent, "connect timed out"};
        case tls_failed:
            return {error_kind::unavailable, attempt_outcome::not_sent, "TLS handshake failed"};
        case stale_connection:
            return {error_kind::unavailable, attempt_outcome::stale_connection,
                    "the connection was closed by the server"};
        case read_timeout:
            return {error_kind::timeout, attempt_outcome::timed_out, "timed out waiting for the response"};
        case connection_lost:
            return {error_kind::unavailable, attempt_outcome::connection_lost, "the connection was lost"};
        case body_too_large:
            return {error_kind::limit_exceeded, attempt_outcome::final_error,
                    "the response body exceeds the size limit"};
        case malformed_response:
            return {error_kind::protocol_error, attempt_outcome::final_error, "malformed HTTP response"};
        case body_unreadable:
            return {error_kind::invalid_argument, attempt_outcome::final_error,
                    "the file of the request body cannot be sent"};
        case cancelled:
            return {error_kind::cancelled, attempt_outcome::final_error, "the operation was cancelled"};
    }
    return {error_kind::server_error, attempt_outcome::final_error, "transport failure"};
}

status_mapping map_status(int http_status) noexcept {
    if (is_success_status(http_status)) return {error_kind::server_error, attempt_outcome::success, false};
    const bool tail_reconnects =
        http_status != 400 && http_status != 401 && http_status != 403 && http_status != 404 && http_status != 501;
    const auto row = [tail_reconnects](error_kind kind,
                                       attempt_outcome outcome = attempt_outcome::final_error) -> status_mapping {
        return {kind, outcome, tail_reconnects};
    };
    switch (http_status) {
        case 400:
        case 405:
        case 409:
        case 422:
            return row(error_kind::invalid_argument);
        case 401:
            return row(error_kind::unauthorized);
        case 403:
            return row(error_kind::forbidden);
        case 404:
            return row(error_kind::not_found);
        case 408:
            return row(error_kind::timeout);
        case 413:
            return row(error_kind::request_too_large);
        case 429:
            return row(error_kind::limit_exceeded);
        case 501:
            // Ray: "Serve dependencies are not installed" (serve_head.py); never succeeds as is.
            return row(error_kind::unsupported);
        case 502:
        case 503:
        case 504:
            return row(error_kind::unavailable, attempt_outcome::retryable_status);
        default:
            break;
    }
    if (http_status >= 400 && http_status < 500) return row(error_kind::invalid_argument);
    if (http_status >= 500 && http_status < 600) return row(error_kind::server_error);
    return row(error_kind::protocol_error);
}

}  // namespace raycl::core
