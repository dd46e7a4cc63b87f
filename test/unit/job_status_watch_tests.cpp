// The job-status watcher's decisions, driven directly: questions in, plans and answers out.
// Time is a value the test moves; no socket, no clock, no sleep.
#include "core/job_status_watch.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using std::chrono::milliseconds;
using watch = job_status_watch;
using kind = job_status_watch::answer_kind;

namespace {

const watch::time_point t0{std::chrono::seconds(1000)};
const milliseconds second{1000};

job_details job(const std::string& id, job_status status) {
    job_details details;
    details.type = job_type::submission;
    details.submission_id = id;
    details.status = status;
    details.driver_node_id = "node1";
    return details;
}

std::string id_of(int j) {
    return "raysubmit_" + std::to_string(j);
}

/// The waiters of `answers`, sorted.
std::vector<watch::waiter_id> waiters_of(const std::vector<watch::answer>& answers) {
    std::vector<watch::waiter_id> result;
    for (const auto& a : answers) result.push_back(a.waiter);
    std::sort(result.begin(), result.end());
    return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(job_status_watch_tests)

BOOST_AUTO_TEST_CASE(nothing_asked_plans_nothing) {
    watch w;
    BOOST_TEST((w.next(t0).next == watch::step::idle));
    BOOST_TEST(w.unanswered() == 0u);
}

BOOST_AUTO_TEST_CASE(a_first_question_is_fetched_at_once_with_its_own_get_job) {
    watch w;
    w.ask(1, id_of(1), second);
    const auto plan = w.next(t0);
    BOOST_TEST((plan.next == watch::step::fetch));
    const auto batch = w.start_fetch(t0);
    BOOST_TEST(!batch.list);
    BOOST_TEST(batch.jobs == std::vector<std::string>{id_of(1)});
    BOOST_TEST((w.next(t0).next == watch::step::idle));  // one fetch at a time
    const auto answers = w.on_job(id_of(1), job(id_of(1), job_status::running));
    BOOST_REQUIRE(answers.size() == 1u);
    BOOST_TEST(answers[0].waiter == 1u);
    BOOST_TEST((answers[0].kind == kind::seen));
    BOOST_REQUIRE(answers[0].job.has_value());
    BOOST_TEST((answers[0].job->status == job_status::running));
    w.end_fetch();
    BOOST_TEST(w.unanswered() == 0u);
    BOOST_TEST((w.next(t0).next == watch::step::idle));
}

BOOST_AUTO_TEST_CASE(questions_of_one_interval_share_the_next_fetch) {
    // 1,000 tails of 1,000 jobs, asking once per second each at spread times: one list per
    // second answers all of them, whatever the count.
    watch w;
    w.ask(0, id_of(0), second);
    w.start_fetch(t0);
    w.on_job(id_of(0), job(id_of(0), job_status::running));
    w.end_fetch();
    std::size_t fetches = 0;
    std::size_t answered = 0;
    watch::time_point now = t0;
    for (int round = 0; round < 5; ++round) {
        for (int j = 0; j < 1000; ++j) {
            now += milliseconds(1);
            w.ask(static_cast<watch::waiter_id>(round * 1000 + j + 1), id_of(j), second);
            const auto plan = w.next(now);
            if (plan.next != watch::step::fetch) {
                BOOST_TEST((plan.next == watch::step::wait));
                continue;
            }
            ++fetches;
            const auto batch = w.start_fetch(now);
            BOOST_TEST(batch.list);
            std::vector<job_details> all;
            for (int k = 0; k < 1000; ++k) all.push_back(job(id_of(k), job_status::running));
            for (const auto& a : w.on_list(all)) {
                BOOST_TEST((a.kind == kind::seen));
                ++answered;
            }
            w.end_fetch();
        }
    }
    // 5,000 questions over 5 s: one list per second answers every one of them.
    BOOST_TEST(fetches == 5u);
    BOOST_TEST(answered == 5000u);
    BOOST_TEST(w.unanswered() == 0u);
}

BOOST_AUTO_TEST_CASE(a_question_during_a_fetch_waits_for_a_fresh_one) {
    watch w;
    w.ask(1, id_of(1), second);
    w.start_fetch(t0);
    w.ask(2, id_of(1), second);  // the running request was sent before it was asked
    const auto first = w.on_job(id_of(1), job(id_of(1), job_status::running));
    BOOST_TEST(waiters_of(first) == std::vector<watch::waiter_id>{1});
    w.end_fetch();
    BOOST_TEST(w.unanswered() == 1u);
    const auto plan = w.next(t0 + milliseconds(10));
    BOOST_TEST((plan.next == watch::step::wait));
    BOOST_TEST((plan.at == t0 + second));
    BOOST_TEST((w.next(t0 + second).next == watch::step::fetch));
    const auto batch = w.start_fetch(t0 + second);
    BOOST_TEST(batch.jobs == std::vector<std::string>{id_of(1)});
    const auto second_answers = w.on_job(id_of(1), job(id_of(1), job_status::succeeded));
    BOOST_TEST(waiters_of(second_answers) == std::vector<watch::waiter_id>{2});
    BOOST_TEST((second_answers[0].job->status == job_status::succeeded));
}

BOOST_AUTO_TEST_CASE(one_answer_fans_out_to_every_waiter_of_the_job) {
    watch w;
    for (watch::waiter_id who = 1; who <= 50; ++who) w.ask(who, id_of(7), second);
    const auto batch = w.start_fetch(t0);
    BOOST_TEST(!batch.list);  // one distinct job: its own get_job
    BOOST_TEST(batch.jobs.size() == 1u);
    const auto answers = w.on_job(id_of(7), job(id_of(7), job_status::failed));
    BOOST_TEST(answers.size() == 50u);
    for (const auto& a : answers) {
        BOOST_TEST((a.kind == kind::seen));
        BOOST_TEST((a.job->status == job_status::failed));
    }
}

BOOST_AUTO_TEST_CASE(few_jobs_ask_per_job_many_jobs_list) {
    job_status_watch_settings settings;
    settings.list_from = 3;
    watch w(settings);
    w.ask(1, id_of(1), second);
    w.ask(2, id_of(2), second);
    auto batch = w.start_fetch(t0);
    BOOST_TEST(!batch.list);
    BOOST_TEST(batch.jobs == (std::vector<std::string>{id_of(1), id_of(2)}));
    w.on_job(id_of(1), job(id_of(1), job_status::running));
    w.on_job(id_of(2), job(id_of(2), job_status::running));
    w.end_fetch();
    for (int j = 1; j <= 3; ++j) w.ask(static_cast<watch::waiter_id>(10 + j), id_of(j), second);
    batch = w.start_fetch(t0 + second);
    BOOST_TEST(batch.list);
    BOOST_TEST(batch.jobs.empty());
}

BOOST_AUTO_TEST_CASE(a_job_the_list_lacks_is_missing_the_others_seen) {
    watch w;
    w.ask(1, id_of(1), second);
    w.ask(2, id_of(2), second);
    w.ask(3, id_of(2), second);
    BOOST_TEST(w.start_fetch(t0).list);
    job_details driver;  // a driver job: no submission id, never matched
    driver.type = job_type::driver;
    const auto answers = w.on_list(std::vector<job_details>{driver, job(id_of(2), job_status::running)});
    BOOST_REQUIRE(answers.size() == 3u);
    for (const auto& a : answers) {
        if (a.waiter == 1) {
            BOOST_TEST((a.kind == kind::missing));
            BOOST_TEST(!a.job.has_value());
        } else {
            BOOST_TEST((a.kind == kind::seen));
            BOOST_TEST(*a.job->submission_id == id_of(2));
        }
    }
    w.end_fetch();
    BOOST_TEST(w.unanswered() == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_list_falls_back_to_get_job_at_once_and_for_a_while) {
    job_status_watch_settings settings;
    settings.list_retry_after = milliseconds(60'000);
    watch w(settings);
    w.ask(1, id_of(1), second);
    w.ask(2, id_of(2), second);
    BOOST_TEST(w.start_fetch(t0).list);
    w.on_list_failed(client_error(error_kind::limit_exceeded, "response body exceeds max_response_bytes"),
                     t0 + milliseconds(5));
    w.end_fetch();
    BOOST_TEST(w.unanswered() == 2u);
    // Not one interval later: the failed list answered nobody.
    BOOST_TEST((w.next(t0 + milliseconds(6)).next == watch::step::fetch));
    auto batch = w.start_fetch(t0 + milliseconds(6));
    BOOST_TEST(!batch.list);
    BOOST_TEST(batch.jobs == (std::vector<std::string>{id_of(1), id_of(2)}));
    BOOST_TEST(w.on_job(id_of(1), job(id_of(1), job_status::running)).size() == 1u);
    const auto failed = w.on_job_failed(id_of(2), client_error(error_kind::not_found, "Job does not exist"));
    BOOST_REQUIRE(failed.size() == 1u);
    BOOST_TEST((failed[0].kind == kind::failed));
    BOOST_TEST(failed[0].error->status() == 404);
    w.end_fetch();
    // Per job until list_retry_after has passed, then a list again.
    w.ask(3, id_of(1), second);
    w.ask(4, id_of(2), second);
    BOOST_TEST(!w.start_fetch(t0 + milliseconds(30'000)).list);
    w.end_fetch();  // cut short: its questions wait again
    BOOST_TEST(w.unanswered() == 2u);
    BOOST_TEST(w.start_fetch(t0 + milliseconds(60'005)).list);
}

BOOST_AUTO_TEST_CASE(after_a_passing_list_failure_the_next_fetch_lists_again) {
    watch w;
    w.ask(1, id_of(1), second);
    w.ask(2, id_of(2), second);
    BOOST_TEST(w.start_fetch(t0).list);
    w.on_list_failed(client_error(error_kind::unavailable, "503 from the proxy"), t0 + milliseconds(5));
    w.end_fetch();
    const auto batch = w.start_fetch(t0 + milliseconds(6));  // at once, per job
    BOOST_TEST(!batch.list);
    BOOST_TEST(batch.jobs.size() == 2u);
    w.on_job(id_of(1), job(id_of(1), job_status::running));
    w.on_job(id_of(2), job(id_of(2), job_status::running));
    w.end_fetch();
    w.ask(3, id_of(1), second);
    w.ask(4, id_of(2), second);
    const auto plan = w.next(t0 + milliseconds(7));
    BOOST_TEST((plan.next == watch::step::wait));
    BOOST_TEST(w.start_fetch(plan.at).list);
}

BOOST_AUTO_TEST_CASE(which_list_failures_last) {
    BOOST_TEST(watch::list_failure_lasts(client_error(error_kind::limit_exceeded, "body cap")));
    BOOST_TEST(watch::list_failure_lasts(client_error(error_kind::not_found, "no route")));
    BOOST_TEST(watch::list_failure_lasts(client_error(error_kind::protocol_error, "not JSON")));
    BOOST_TEST(!watch::list_failure_lasts(client_error(error_kind::unavailable, "503")));
    BOOST_TEST(!watch::list_failure_lasts(client_error(error_kind::timeout, "read timeout")));
    BOOST_TEST(!watch::list_failure_lasts(client_error(error_kind::server_error, "500")));
}

BOOST_AUTO_TEST_CASE(the_smallest_patience_sets_the_wait_within_bounds) {
    job_status_watch_settings settings;
    settings.interval = second;
    settings.shortest_interval = milliseconds(100);
    watch w(settings);
    w.ask(1, id_of(1), second);
    w.start_fetch(t0);
    w.end_fetch();  // unanswered: waits again
    w.ask(2, id_of(1), milliseconds(400));
    BOOST_TEST((w.next(t0 + milliseconds(1)).at == t0 + milliseconds(400)));
    w.ask(3, id_of(1), milliseconds(5));  // below the floor
    BOOST_TEST((w.next(t0 + milliseconds(1)).at == t0 + milliseconds(100)));
    w.start_fetch(t0 + milliseconds(100));
    w.on_job(id_of(1), job(id_of(1), job_status::running));
    w.end_fetch();
    w.ask(4, id_of(1), milliseconds(60'000));  // above the interval
    BOOST_TEST((w.next(t0 + milliseconds(101)).at == t0 + milliseconds(1100)));
}

BOOST_AUTO_TEST_CASE(a_question_after_a_quiet_interval_is_fetched_at_once) {
    watch w;
    w.ask(1, id_of(1), second);
    w.start_fetch(t0);
    w.on_job(id_of(1), job(id_of(1), job_status::running));
    w.end_fetch();
    w.ask(2, id_of(1), second);
    BOOST_TEST((w.next(t0 + milliseconds(2500)).next == watch::step::fetch));
}

BOOST_AUTO_TEST_SUITE_END()
