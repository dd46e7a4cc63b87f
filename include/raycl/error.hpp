/// @file
/// @brief The single exception type every raycl operation reports failures with.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace raycl {

/// @brief What went wrong, independent of the numeric status.
enum class error_kind {
    invalid_argument,  ///< Bad input rejected before any I/O, or a 400 from the server (status 400).
    not_found,         ///< The job, node, task, actor or application does not exist (status 404).
    timeout,           ///< Connect or read timeout, or a wait deadline (status 408).
    limit_exceeded,    ///< A client-side limit (response body cap, stream limits) or a 429 (status 429).
    server_error,      ///< The server failed or answered something unexpected (status 500).
    unavailable,       ///< The cluster could not be reached, or answered 502/503/504 (status 503).
    unauthorized,      ///< No or unknown credentials (status 401).
    forbidden,         ///< Credentials rejected (status 403).
    cancelled,         ///< The operation was cancelled, e.g. the client was destroyed (status 500).
    protocol_error,    ///< Malformed HTTP, JSON or TLS from the server (status 500).
};

/// @brief Returns the stable lower-case name of an error kind, e.g. `"not_found"`.
std::string_view to_string(error_kind kind) noexcept;

/// @brief The status a raycl error carries for a kind, following the seed's table
/// (400, 404, 408, 429, 500, 503) plus 401/403 for authentication.
int status_for(error_kind kind) noexcept;

/// @brief The exception thrown (through `co_await`) by every raycl operation.
///
/// `status()` follows the seed's table: 400 invalid input, 401/403 authentication,
/// 404 not found, 408 timeout, 429 limit, 500 internal/unexpected, 503 unreachable.
/// Every text it carries (message, request line, server body) has been sanitized: tokens,
/// `Authorization` values, passwords in URLs and quoted secrets are redacted before anything
/// is shortened, so a credential never appears in `what()`.
class client_error : public std::runtime_error {
public:
    /// @brief Builds an error. The texts must already be sanitized (raycl's own code does).
    /// @param kind what went wrong; `status()` is always derived from it (`status_for`), so a
    /// server's 502 is reported as 503 while `http_status()` keeps the 502.
    /// @param message a human-readable, sanitized message.
    /// @param request the sanitized request line, e.g. `"GET /api/jobs/abc"` (may be empty).
    /// @param server_body the sanitized, bounded body the server sent (may be empty).
    /// @param http_status the HTTP status the server answered, 0 when no response was read.
    client_error(error_kind kind, std::string message, std::string request = {}, std::string server_body = {},
                 int http_status = 0);

    /// @brief The seed-compatible status (400, 401, 403, 404, 408, 429, 500, 503).
    int status() const noexcept { return status_; }
    /// @brief The finer-grained kind of failure.
    error_kind kind() const noexcept { return kind_; }
    /// @brief The sanitized message without the status prefix.
    const std::string& message() const noexcept { return message_; }
    /// @brief The sanitized request line (`METHOD target`), empty for input errors.
    const std::string& request() const noexcept { return request_; }
    /// @brief The server's response body, sanitized and bounded to 2 KiB; empty if none.
    const std::string& server_body() const noexcept { return server_body_; }
    /// @brief The HTTP status the server answered with, or 0 if no response was received.
    int http_status() const noexcept { return http_status_; }

private:
    error_kind kind_;
    int status_;
    std::string message_;
    std::string request_;
    std::string server_body_;
    int http_status_;
};

}  // namespace raycl
