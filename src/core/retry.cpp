#include "core/retry.hpp"

#include <algorithm>
#include <cmath>

namespace raycl::core {

std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry_index, double random01) {
    double cap = static_cast<double>(std::max<std::int64_t>(policy.max_backoff.count(), 0));
    double delay = static_cast<double>(std::max<std::int64_t>(policy.initial_backoff.count(), 0));
    double multiplier = std::isfinite(policy.multiplier) && policy.multiplier >= 1.0 ? policy.multiplier : 1.0;
    // Grow step by step and stop at the cap, so a large index cannot overflow.
    for (int i = 1; i < retry_index && delay < cap; ++i) delay *= multiplier;
    delay = std::min(delay, cap);
    if (policy.jitter) {
        double r = std::isfinite(random01) ? std::clamp(random01, 0.0, 1.0) : 0.0;
        delay = delay / 2.0 + r * (delay / 2.0);
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>(std::floor(delay))};
}

retry_step decide_retry(const retry_policy& policy, int attempts_made, attempt_outcome outcome, bool idempotent,
                        int stale_retries_made, double random01) {
    retry_step step;
    switch (outcome) {
        case attempt_outcome::success:
        case attempt_outcome::final_error:
            return step;
        case attempt_outcome::stale_connection:
            if (!idempotent) return step;
            // The server closed an idle pooled connection: take the next one (or a fresh one)
            // at once without spending an attempt, until the pool must be exhausted.
            if (stale_retries_made < max_stale_retries) {
                step.retry = true;
                step.counts_as_attempt = false;
                return step;
            }
            break;
        case attempt_outcome::not_sent:
            break;  // nothing reached the server: safe for every request
        case attempt_outcome::timed_out:
        case attempt_outcome::connection_lost:
        case attempt_outcome::retryable_status:
            if (!idempotent) return step;
            break;
    }
    if (attempts_made >= std::max(policy.max_attempts, 1)) return step;
    step.retry = true;
    step.delay = backoff_delay(policy, attempts_made, random01);
    return step;
}

request_attempts::action request_attempts::on_answer(attempt_outcome outcome, double random01) noexcept {
    if (outcome != attempt_outcome::retryable_status) {
        ++attempts_;
        return {step::deliver, {}};
    }
    return next_after(outcome, random01);
}

request_attempts::action request_attempts::on_failure(attempt_outcome outcome, double random01) noexcept {
    return next_after(outcome, random01);
}

request_attempts::action request_attempts::next_after(attempt_outcome outcome, double random01) noexcept {
    const bool stale = outcome == attempt_outcome::stale_connection;
    const auto decision = decide_retry(policy_, attempts_ + 1, outcome, idempotent_, stale_retries_, random01);
    if (decision.counts_as_attempt) ++attempts_;
    if (!decision.retry) return {step::fail, {}};
    stale_retries_ = stale ? stale_retries_ + 1 : 0;
    repeated_ = true;
    return {step::send, decision.delay};
}

}  // namespace raycl::core
