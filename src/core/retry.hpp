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

/// Delay before retry number `retry_index` (1 = first retry): initial * multiplier^(i-1),
/// capped at max_backoff; with jitter, uniformly in [delay/2, delay] using `random01`.
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry_index, double random01);

/// Longest run of stale-connection retries before the failure counts (pool drained).
inline constexpr int max_stale_retries = 8;

/// The attempts of one request, as a state machine: the driver (src/client/request_driver.cpp)
/// does what the action says and tells the machine how each attempt ended; the machine owns
/// every decision (`decide_retry`), counts attempts and remembers whether the request was
/// repeated. No I/O, no clock: unit tests feed outcomes and check the actions.
class request_attempts {
public:
    /// What the driver does next.
    enum class step {
        send,     ///< send the request (after `delay`, when not zero)
        deliver,  ///< hand the last response to the caller (2xx, or a status not worth repeating)
        fail,     ///< report the last failure (status or transport failure) as the error
    };
    struct action {
        step next = step::send;
        std::chrono::milliseconds delay{0};  ///< for `send`: back-off to sleep first
    };

    /// `idempotent`: the request may be repeated after it may have reached the server.
    request_attempts(const retry_policy& policy, bool idempotent) noexcept : policy_(policy), idempotent_(idempotent) {}

    /// The first action: send at once.
    action start() noexcept { return {step::send, {}}; }

    /// The attempt ended with an HTTP answer whose retry class is `outcome` (from `map_status`).
    action on_answer(attempt_outcome outcome, double random01) noexcept;

    /// The attempt failed below HTTP with retry class `outcome` (from `map_failure`).
    action on_failure(attempt_outcome outcome, double random01) noexcept;

    /// Attempts sent so far that count against `max_attempts`.
    int attempts() const noexcept { return attempts_; }
    /// True once the request was sent more than once (a retried submit may meet its own first
    /// attempt as a duplicate).
    bool repeated() const noexcept { return repeated_; }

private:
    action next_after(attempt_outcome outcome, double random01) noexcept;

    retry_policy policy_;
    bool idempotent_;
    int attempts_ = 0;       ///< counted attempts that ended
    int stale_retries_ = 0;  ///< stale-connection retries in a row
    bool repeated_ = false;
};

}  // namespace raycl::core
