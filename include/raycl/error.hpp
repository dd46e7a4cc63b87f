/// @file
/// @brief raycl's one error vocabulary: the `error_kind` codes (a `boost::system` category of
/// their own), the `diagnostics` of a failure, and `client_error`, the only exception raycl's
/// operations throw.
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace raycl {

/// @brief What went wrong: raycl's error codes. They live in `raycl::error_category()`, so a
/// `boost::system::error_code` can hold them (`make_error_code(error_kind::not_found)`), and
/// `cancelled` and `timeout` compare equal to `std::errc::operation_canceled` and
/// `std::errc::timed_out`. Zero is not a kind: it means success, as for every error code.
enum class error_kind {
    invalid_argument = 1,  ///< Bad input rejected before any I/O, or a 400 from the server (status 400).
    not_found,             ///< The job, node, task, actor or application does not exist (status 404).
    timeout,               ///< Connect or read timeout, or a wait deadline (status 408).
    limit_exceeded,        ///< A client-side limit (response body cap, stream limits) or a 429 (status 429).
    server_error,          ///< The server failed or answered something unexpected (status 500).
    unavailable,           ///< The cluster could not be reached, or answered 502/503/504 (status 503).
    unauthorized,          ///< No or unknown credentials (status 401).
    forbidden,             ///< Credentials rejected (status 403).
    cancelled,             ///< The operation was cancelled, e.g. the client was destroyed (status 500).
    protocol_error,        ///< Malformed HTTP, JSON or TLS from the server (status 500).
    request_too_large,     ///< The request body exceeds what the server accepts (status 413).
    unsupported,           ///< The server lacks the feature (its Ray version, or Serve not installed) (status 501).
};

/// @brief The category of `error_kind` codes; its name is `"raycl"`.
const boost::system::error_category& error_category() noexcept;

/// @brief An `error_code` holding `kind` in `error_category()` (found by argument-dependent lookup,
/// so `boost::system::error_code ec = error_kind::timeout;` works).
boost::system::error_code make_error_code(error_kind kind) noexcept;

/// @brief Returns the stable lower-case name of an error kind, e.g. `"not_found"`.
std::string_view to_string(error_kind kind) noexcept;

/// @brief The status a raycl error carries for a kind: 400, 401, 403, 404, 408, 413, 429, 500,
/// 501 or 503 (the table in the README's "Errors" section).
int status_for(error_kind kind) noexcept;

/// @brief The details of a failure besides its code. Every text is sanitized (credentials
/// redacted) and bounded; `server_body()` is what the server sent, so treat it as untrusted.
class diagnostics {
public:
    /// @brief No details.
    diagnostics() = default;
    /// @brief Details of a failure. The texts must already be sanitized (raycl's own code does).
    /// @param message a human-readable, sanitized message.
    /// @param request the sanitized request line, e.g. `"GET /api/jobs/abc"` (may be empty).
    /// @param server_body the sanitized, bounded body the server sent (may be empty).
    /// @param http_status the HTTP status the server answered, 0 when no response was read.
    explicit diagnostics(std::string message, std::string request = {}, std::string server_body = {},
                         int http_status = 0)
        : message_(std::move(message)),
          request_(std::move(request)),
          server_body_(std::move(server_body)),
          http_status_(http_status) {}

    /// @brief The sanitized message without the status prefix.
    const std::string& message() const noexcept { return message_; }
    /// @brief The sanitized request line (`METHOD target`), empty for input errors.
    const std::string& request() const noexcept { return request_; }
    /// @brief The server's response body, sanitized and bounded to 2 KiB; empty if none.
    const std::string& server_body() const noexcept { return server_body_; }
    /// @brief The HTTP status the server answered with, or 0 if no response was received.
    int http_status() const noexcept { return http_status_; }

private:
    std::string message_;
    std::string request_;
    std::string server_body_;
    int http_status_ = 0;
};

/// @brief The exception thrown (through `co_await`) by every raycl operation, and the only one.
///
/// A `boost::system::system_error` whose `code()` is the `error_kind` in `error_category()`,
/// plus the `diagnostics` of the failure. `status()` is derived from the kind (`status_for`):
/// 400 invalid input, 401/403 authentication, 404 not found, 408 timeout, 413 request too
/// large, 429 limit, 500 internal/unexpected, 501 unsupported, 503 unreachable. Every text it
/// carries has been sanitized: tokens, `Authorization` values, passwords in URLs and quoted
/// secrets are redacted before anything is shortened, so a credential never appears in `what()`,
/// which reads `raycl error <status>: <message>`.
class client_error : public boost::system::system_error {
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
    /// @brief Builds an error from its kind and its details.
    client_error(error_kind kind, raycl::diagnostics details);

    /// @brief The status of the kind (400, 401, 403, 404, 408, 413, 429, 500, 501, 503).
    int status() const noexcept { return status_for(kind_); }
    /// @brief What went wrong (also `code()`, in `error_category()`).
    error_kind kind() const noexcept { return kind_; }
    /// @brief The details: message, request line, server body, HTTP status.
    const raycl::diagnostics& diagnostics() const noexcept { return diagnostics_; }
    /// @brief The sanitized message without the status prefix.
    const std::string& message() const noexcept { return diagnostics_.message(); }
    /// @brief The sanitized request line (`METHOD target`), empty for input errors.
    const std::string& request() const noexcept { return diagnostics_.request(); }
    /// @brief The server's response body, sanitized and bounded to 2 KiB; empty if none.
    const std::string& server_body() const noexcept { return diagnostics_.server_body(); }
    /// @brief The HTTP status the server answered with, or 0 if no response was received.
    int http_status() const noexcept { return diagnostics_.http_status(); }
    /// @brief `raycl error <status>: <message>`.
    const char* what() const noexcept override { return what_.c_str(); }

private:
    error_kind kind_;
    raycl::diagnostics diagnostics_;
    std::string what_;
};

}  // namespace raycl

namespace boost::system {
/// @brief Makes `raycl::error_kind` an error code enum (implicit conversion to `error_code`).
template <>
struct is_error_code_enum<raycl::error_kind> : std::true_type {};
}  // namespace boost::system
