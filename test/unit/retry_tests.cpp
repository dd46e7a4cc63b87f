#include "core/retry.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace raycl;
using namespace raycl::core;
using std::chrono::milliseconds;

namespace {

retry_policy without_jitter() {
    retry_policy policy;
    policy.jitter = false;
    return policy;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_tests)

BOOST_AUTO_TEST_CASE(success_and_final_errors_end_the_call) {
    for (attempt_outcome outcome : {attempt_outcome::success, attempt_outcome::final_error}) {
        for (bool idempotent : {true, false})
            BOOST_TEST(!decide_retry(retry_policy{}, 1, outcome, idempotent, 0, 0.5).retry);
    }
}

BOOST_AUTO_TEST_CASE(not_sent_is_retried_for_every_request) {
    for (bool idempotent : {true, false}) {
        retry_step step = decide_retry(without_jitter(), 1, attempt_outcome::not_sent, idempotent, 0, 0.5);
        BOOST_TEST(step.retry);
        BOOST_TEST(step.counts_as_attempt);
        BOOST_TEST(step.delay == milliseconds{200});
    }
}

BOOST_AUTO_TEST_CASE(after_sending_only_idempotent_requests_are_retried) {
    for (attempt_outcome outcome :
         {attempt_outcome::timed_out, attempt_outcome::connection_lost, attempt_outcome::retryable_status}) {
        BOOST_TEST_CONTEXT("outcome " << static_cast<int>(outcome)) {
            BOOST_TEST(decide_retry(retry_policy{}, 1, outcome, true, 0, 0.5).retry);
            BOOST_TEST(!decide_retry(retry_policy{}, 1, outcome, false, 0, 0.5).retry);
        }
    }
}

BOOST_AUTO_TEST_CASE(attempts_are_capped) {
    retry_policy policy;
    policy.max_attempts = 3;
    BOOST_TEST(decide_retry(policy, 1, attempt_outcome::retryable_status, true, 0, 0.5).retry);
    BOOST_TEST(decide_retry(policy, 2, attempt_outcome::retryable_status, true, 0, 0.5).retry);
    BOOST_TEST(!decide_retry(policy, 3, attempt_outcome::retryable_status, true, 0, 0.5).retry);
    BOOST_TEST(!decide_retry(policy, 3, attempt_outcome::not_sent, false, 0, 0.5).retry);
    policy.max_attempts = 1;
    BOOST_TEST(!decide_retry(policy, 1, attempt_outcome::not_sent, true, 0, 0.5).retry);
}

BOOST_AUTO_TEST_CASE(stale_connections_retry_at_once_without_counting) {
    retry_step step = decide_retry(retry_policy{}, 1, attempt_outcome::stale_connection, true, 0, 0.5);
    BOOST_TEST(step.retry);
    BOOST_TEST(!step.counts_as_attempt);
    BOOST_TEST(step.delay == milliseconds{0});
    // Even when the attempts are used up: a stale pooled connection is not an attempt.
    retry_policy single;
    single.max_attempts = 1;
    BOOST_TEST(decide_retry(single, 1, attempt_outcome::stale_connection, true, max_stale_retries - 1, 0.5).retry);
    BOOST_TEST(!decide_retry(retry_policy{}, 1, attempt_outcome::stale_connection, false, 0, 0.5).retry);
}

BOOST_AUTO_TEST_CASE(too_many_stale_retries_count_as_a_failure) {
    retry_step step =
        decide_retry(without_jitter(), 1, attempt_outcome::stale_connection, true, max_stale_retries, 0.5);
    BOOST_TEST(step.retry);
    BOOST_TEST(step.counts_as_attempt);
    BOOST_TEST(step.delay == milliseconds{200});
    retry_policy single;
    single.max_attempts = 1;
    BOOST_TEST(!decide_retry(single, 1, attempt_outcome::stale_connection, true, max_stale_retries, 0.5).retry);
}

BOOST_AUTO_TEST_CASE(backoff_grows_and_is_capped) {
    retry_policy policy = without_jitter();
    const std::vector<int> expected{200, 400, 800, 1600, 3200, 5000, 5000};
    for (std::size_t i = 0; i < expected.size(); ++i)
        BOOST_TEST(backoff_delay(policy, static_cast<int>(i) + 1, 0.0).count() == expected[i]);
    BOOST_TEST(backoff_delay(policy, 1000000, 0.0) == milliseconds{5000});
    policy.multiplier = 1.0;
    BOOST_TEST(backoff_delay(policy, 5, 0.0) == milliseconds{200});
    policy.initial_backoff = milliseconds{0};
    BOOST_TEST(backoff_delay(policy, 3, 0.0) == milliseconds{0});
}

BOOST_AUTO_TEST_CASE(decide_retry_uses_the_backoff_of_the_attempt) {
    retry_policy policy;
    policy.max_attempts = 10;
    for (int attempt = 1; attempt < 10; ++attempt) {
        retry_step step = decide_retry(policy, attempt, attempt_outcome::retryable_status, true, 0, 0.3);
        BOOST_TEST(step.delay == backoff_delay(policy, attempt, 0.3));
    }
}

BOOST_AUTO_TEST_CASE(jitter_stays_in_half_to_full_delay) {
    retry_policy policy;  // jitter on
    BOOST_TEST(backoff_delay(policy, 1, 0.0) == milliseconds{100});
    BOOST_TEST(backoff_delay(policy, 1, 0.5) == milliseconds{150});
    BOOST_TEST(backoff_delay(policy, 1, 0.999999) == milliseconds{199});
    for (int retry = 1; retry <= 8; ++retry) {
        milliseconds full = backoff_delay(without_jitter(), retry, 0.0);
        for (double r : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999}) {
            milliseconds delay = backoff_delay(policy, retry, r);
            BOOST_TEST(delay >= full / 2);
            BOOST_TEST(delay <= full);
        }
    }
    // Out-of-range randomness is clamped rather than trusted.
    BOOST_TEST(backoff_delay(policy, 1, 7.0) <= milliseconds{200});
    BOOST_TEST(backoff_delay(policy, 1, -3.0) >= milliseconds{100});
}

BOOST_AUTO_TEST_SUITE_END()
