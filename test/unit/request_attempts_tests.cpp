// The retry loop of one request, driven directly: how each attempt ended in, actions out.
#include "core/error_mapping.hpp"
#include "core/retry.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace raycl;
using namespace raycl::core;
using std::chrono::milliseconds;
using step = request_attempts::step;

namespace {

retry_policy without_jitter(int attempts = 3) {
    retry_policy policy;
    policy.jitter = false;
    policy.max_attempts = attempts;
    return policy;
}

attempt_outcome answer(int status) {
    return map_status(status).outcome;
}

attempt_outcome failure(transport_failure reason) {
    return map_failure(reason).outcome;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_attempts_tests)

BOOST_AUTO_TEST_CASE(a_success_is_delivered_after_one_send) {
    request_attempts attempts(without_jitter(), true);
    BOOST_TEST((attempts.start().next == step::send));
    BOOST_TEST((attempts.on_answer(answer(200), 0.5).next == step::deliver));
    BOOST_TEST(attempts.attempts() == 1);
    BOOST_TEST(!attempts.repeated());
}

BOOST_AUTO_TEST_CASE(a_final_status_is_delivered_for_the_caller_to_map) {
    for (int status : {400, 404, 409, 500}) {
        request_attempts attempts(without_jitter(), true);
        attempts.start();
        BOOST_TEST((attempts.on_answer(answer(status), 0.5).next == step::deliver), "status " << status);
    }
}

BOOST_AUTO_TEST_CASE(two_503_then_200_sends_three_times_with_growing_back_off) {
    request_attempts attempts(without_jitter(), true);
    attempts.start();
    auto action = attempts.on_answer(answer(503), 0.5);
    BOOST_TEST((action.next == step::send));
    BOOST_TEST(action.delay == milliseconds(200));
    action = attempts.on_answer(answer(503), 0.5);
    BOOST_TEST((action.next == step::send));
    BOOST_TEST(action.delay == milliseconds(400));
    BOOST_TEST((attempts.on_answer(answer(200), 0.5).next == step::deliver));
    BOOST_TEST(attempts.repeated());
    BOOST_TEST(attempts.attempts() == 3);
}

BOOST_AUTO_TEST_CASE(retryable_answers_fail_once_the_attempts_are_used_up) {
    request_attempts attempts(without_jitter(3), true);
    attempts.start();
    attempts.on_answer(answer(502), 0.5);
    attempts.on_answer(answer(504), 0.5);
    BOOST_TEST((attempts.on_answer(answer(503), 0.5).next == step::fail));
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_retried_only_for_idempotent_requests) {
    {
        request_attempts attempts(without_jitter(), true);
        attempts.start();
        BOOST_TEST((attempts.on_failure(failure(transport_failure::connection_lost), 0.5).next == step::send));
    }
    {
        request_attempts attempts(without_jitter(), false);  // stop_job after it was sent
        attempts.start();
        BOOST_TEST((attempts.on_failure(failure(transport_failure::connection_lost), 0.5).next == step::fail));
        BOOST_TEST((attempts.on_failure(failure(transport_failure::read_timeout), 0.5).next == step::fail));
    }
}

BOOST_AUTO_TEST_CASE(a_request_that_never_left_is_retried_even_when_not_idempotent) {
    request_attempts attempts(without_jitter(), false);
    attempts.start();
    for (auto reason : {transport_failure::connect_refused, transport_failure::resolve_failed}) {
        const auto action = attempts.on_failure(failure(reason), 0.5);
        BOOST_TEST((action.next == step::send));
        BOOST_TEST(action.delay > milliseconds(0));
    }
    // The third attempt was the last one the policy allows.
    BOOST_TEST((attempts.on_failure(failure(transport_failure::connect_timeout), 0.5).next == step::fail));
    BOOST_TEST(attempts.attempts() == 3);
}

BOOST_AUTO_TEST_CASE(stale_pooled_connections_are_replaced_at_once_without_spending_attempts) {
    request_attempts attempts(without_jitter(1), true);
    attempts.start();
    for (int i = 0; i < max_stale_retries; ++i) {
        const auto action = attempts.on_failure(failure(transport_failure::stale_connection), 0.5);
        BOOST_TEST_REQUIRE((action.next == step::send));
        BOOST_TEST(action.delay == milliseconds(0));
    }
    // The pool must be drained by now: the next stale connection counts, and with one attempt fails.
    BOOST_TEST((attempts.on_failure(failure(transport_failure::stale_connection), 0.5).next == step::fail));
}

BOOST_AUTO_TEST_CASE(failures_that_are_not_worth_repeating_fail_at_once) {
    for (auto reason : {transport_failure::body_too_large, transport_failure::malformed_response}) {
        request_attempts attempts(without_jitter(), true);
        attempts.start();
        BOOST_TEST((attempts.on_failure(failure(reason), 0.5).next == step::fail));
    }
}

BOOST_AUTO_TEST_SUITE_END()
