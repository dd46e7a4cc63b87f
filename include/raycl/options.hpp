/// @file
/// @brief Configuration of a raycl client and of single calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace raycl {

struct job_details;

/// @brief Seconds as a floating-point duration. Validation rejects NaN, infinities,
/// values <= 0 and values above 300 s with a 400 `client_error` before any I/O.
using seconds = std::chrono::duration<double>;

/// @brief Connect and read timeouts.
struct timeouts {
    /// @brief Bound on name resolution + TCP connect + TLS handshake. Default 5 s.
    seconds connect{5.0};
    /// @brief Bound on sending a request and receiving its whole response. Default 15 s.
    seconds read{15.0};
};

/// @brief TLS settings, used for `https://` addresses.
struct tls_options {
    /// @brief Verify the server certificate and host name (default). Turning this off
    /// accepts any certificate, including an attacker's: only for throw-away test clusters.
    bool verify_peer = true;
    /// @brief Trusted CA certificates in addition to the system's: a PEM file, or a directory
    /// of PEM files named by their subject hash (`openssl rehash DIR`), as Ray's `--verify` takes.
    std::string ca_file{};
};

/// @brief Which header carries the bearer token.
enum class token_header {
    authorization,        ///< `Authorization: Bearer <token>` (Ray's default).
    x_ray_authorization,  ///< `X-Ray-Authorization: Bearer <token>` (behind proxies, KubeRay).
};

/// @brief Capped exponential back-off with jitter for requests that are safe to repeat.
struct retry_policy {
    /// @brief Total attempts including the first; 1 disables retries. Default 3.
    int max_attempts = 3;
    /// @brief Delay before the first retry. Default 200 ms.
    std::chrono::milliseconds initial_backoff{200};
    /// @brief Upper bound of any single delay. Default 5 s.
    std::chrono::milliseconds max_backoff{5000};
    /// @brief Growth factor between attempts. Default 2.
    double multiplier = 2.0;
    /// @brief Randomise each delay in [delay/2, delay] ("equal jitter"). Default on.
    bool jitter = true;
};

/// @brief What happens to a line longer than `stream_limits::max_message_size`.
enum class oversize_policy {
    split,     ///< Delivered in pieces of at most max_message_size bytes (default). Nothing is lost.
    truncate,  ///< The first max_message_size bytes, then the marker `" [raycl: N bytes truncated]"`.
    fail,      ///< The stream ends with a 429 `client_error` after the lines before it.
};

/// @brief Bounds of one log stream. Exceeding max_messages, max_lines or
/// max_bytes ends the stream with a 429 `client_error`, after every line before the limit was
/// delivered.
struct stream_limits {
    std::size_t max_messages = 10'000;              ///< WebSocket frames / HTTP chunks with new data.
    std::size_t max_lines = 50'000;                 ///< Lines (and pieces) delivered.
    std::size_t max_bytes = std::size_t{50} << 20;  ///< Log bytes delivered.
    std::size_t max_message_size = 10 * 1024;       ///< Longest line delivered whole.
    /// @brief Capacity of the channel between the socket reader and the consumer. When it is
    /// full the reader stops reading the socket (TCP back-pressure); nothing is dropped.
    std::size_t queue_size = 1'000;
    oversize_policy oversize = oversize_policy::split;  ///< Policy for long lines.
};

/// @brief Settings of one client. All fields have working defaults.
struct client_options {
    /// @brief Dashboard URL (`http://host:8265` or `https://...`). When empty: `RAY_ADDRESS`,
    /// else `http://127.0.0.1:8265`. A missing scheme means `http://`.
    std::string address{};
    /// @brief Bearer token. When empty and `discover_token` is set: `RAY_AUTH_TOKEN`, then the
    /// file named by `RAY_AUTH_TOKEN_PATH`, then `~/.ray/auth_token`, as Ray's own clients do.
    std::string token{};
    /// @brief Look for a token in the environment and files when `token` is empty. Default on.
    bool discover_token = true;
    /// @brief The header the token is sent in.
    raycl::token_header token_header = raycl::token_header::authorization;
    /// @brief Extra request headers (name, value). CR/LF in either is rejected.
    std::vector<std::pair<std::string, std::string>> headers{};
    /// @brief Cookies (name, value) sent with every request.
    std::vector<std::pair<std::string, std::string>> cookies{};
    /// @brief Default timeouts of every call.
    timeouts timeout{};
    /// @brief TLS verification settings.
    tls_options tls{};
    /// @brief Retry policy of idempotent requests.
    retry_policy retry{};
    /// @brief Idle keep-alive connections kept per strand (five strands per client). Default 4.
    std::size_t max_idle_connections_per_strand = 4;
    /// @brief Request connections a strand has open at once (connecting or in use), or
    /// `max_idle_connections_per_strand` when that is larger. A request beyond them waits, in
    /// arrival order, for one to come free, within its connect timeout (then a retryable 408).
    /// Log streams are not counted. Default 20 (100 per client); must be > 0.
    std::size_t max_connections_per_strand = 20;
    /// @brief Largest response body accepted; a larger one fails with 429. Default 64 MiB.
    std::size_t max_response_bytes = std::size_t{64} << 20;
    /// @brief Default limits of log tails (per call: `tail_options::limits`).
    raycl::stream_limits stream_limits{};
};

/// @brief Per-call overrides of the client's defaults.
struct call_options {
    /// @brief Overrides `client_options::timeout.connect` for this call.
    std::optional<seconds> connect_timeout{};
    /// @brief Overrides `client_options::timeout.read` for this call.
    std::optional<seconds> read_timeout{};
    /// @brief Overrides `client_options::retry` for this call.
    std::optional<retry_policy> retry{};
};

/// @brief How long `client::wait_for_job` waits and how often it polls.
///
/// Not an aggregate (it holds a `std::function`): g++ 12 destroys aggregate temporaries inside a
/// `co_await` expression twice, so build a named variable and set its fields.
struct wait_options {
    /// @brief Waits forever, polling from 250 ms up to every 2 s.
    wait_options() = default;

    /// @brief Give up with a 408 `client_error` after this long; unset waits forever.
    std::optional<std::chrono::steady_clock::duration> deadline{};
    /// @brief First polling interval. Default 250 ms.
    std::chrono::milliseconds initial_interval{250};
    /// @brief Longest polling interval (the interval doubles up to it). Default 2 s.
    std::chrono::milliseconds max_interval{2000};
    /// @brief Called on the caller's executor with every polled state that is not yet terminal
    /// (e.g. to draw progress); unset by default. It must not throw.
    std::function<void(const job_details&)> on_poll{};
};

}  // namespace raycl
