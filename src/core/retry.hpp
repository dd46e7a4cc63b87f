// Retry decisions (pure): what may be repeated, and after how long.
#pragma once

#include <raycl/options.hpp>

#include <chrono>

namespace raycl::core {

/// How one attempt ended, as far as retrying is concerned.
enum class attempt_outcome {
    success,
    not_sent,          ///< resolve/connect/TLS failed: the request never left (safe for all)
    stale_connection,  ///< reused connection closed before any response byte
    timed_out,         ///< read timeout after sending
    connection_lost,   ///< reset/EOF after sending
    retryable_status,  ///< 502, 503, 504
    final_error,       ///< anything else: never retried
};

/// What to do next.
struct retry_step {
    bool retry = false;
    std::chrono::milliseconds delay{0};
    bool counts_as_attempt = true;  ///< false for a stale pooled connection (retried at once)
};

/// Decides whether attempt number `attempts_made` (1-based, the one that just ended) is
/// followed by another. `not_sent` retries any request; `stale_connection`, `timed_out`,
/// `connection_lost` and `retryable_status` retry only idempotent ones. A stale connection is
/// retried immediately without counting (at most `max_stale_retries` times in a row, tracked by
/// the caller through `stale_retries_made`). `random01` in [0,1) drives the jitter.
retry_step decide_retry(const retry_policy& policy, int attempts_made, attempt_outcome outcome, bool idempotent,
                        int stale_retries_made, double random01);

/// HTTP statuses that say "try again" (502, 503, 504): an attempt ending with one is
/// `attempt_outcome::retryable_status`.
constexpr bool is_retryable_status(int http_status) noexcept {
    return http_status == 502 || http_status == 503 || http_status == 504;
}

/// Delay before retry number `retry_index` (1 = first retry): initial * multiplier^(i-1),
/// capped at max_backoff; with jitter, uniformly in [delay/2, delay] using `random01`.
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry_index, double random01);

/// Longest run of stale-connection retries before the failure counts (pool drained).
inline constexpr int max_stale_retries = 8;

}  // namespace raycl::core
