// The decisions of a client's job-status watcher (pure: no I/O, no clock of its own, no Asio).
//
// Log tails of jobs on the HTTP stream ask, about once per poll interval each, whether their
// job finished. Asked one by one, 1,000 tails cost the dashboard ~1,000 `GET /api/jobs/{id}` a
// second. The watcher collects the questions of all tails of one client and answers them with
// one fetch per interval: one `GET /api/jobs/{id}` per distinct job while few jobs are asked
// about, one `GET /api/jobs/` (every job at once) from `list_from` distinct jobs on. Every answer
// comes from a request sent after the question was asked (never from a cached answer), so a
// tail learns nothing staler than it would have by asking itself; only its answer may come up to
// one interval later.
//
// The driver (src/client/job_watcher.cpp) calls next() after every event and performs its plan:
// wait until `at`, or start_fetch() and report each request's outcome (on_list,
// on_list_failed, on_job, on_job_failed), then end_fetch(). Each on_* returns the questions it
// answered, for the driver to hand to their waiters.
#pragma once

#include <raycl/error.hpp>
#include <raycl/models.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// How often the watcher fetches and when it lists every job.
struct job_status_watch_settings {
    /// Fetches start at least this far apart when the waiting questions allow it (the soak's
    /// 1,000 tails: at most one status request per interval).
    std::chrono::milliseconds interval{1000};
    /// A question's patience below this still waits this long between fetches.
    std::chrono::milliseconds shortest_interval{100};
    /// From this many distinct jobs in one fetch on, one list of every job replaces the
    /// per-job requests.
    std::size_t list_from = 2;
    /// After a list that cannot work here (larger than the response cap, a proxy without the
    /// route, a malformed list), fetches ask per job for this long; after a passing failure (a
    /// 5xx, a lost connection) for the next fetch only.
    std::chrono::milliseconds list_retry_after{std::chrono::seconds(60)};
};

class job_status_watch {
public:
    using time_point = std::chrono::steady_clock::time_point;
    /// Names one question (the driver's waiter); unique among the questions not yet answered.
    using waiter_id = std::uint64_t;

    /// How a question was answered.
    enum class answer_kind {
        seen,     ///< `job` holds the job as the cluster reported it
        missing,  ///< the list had no such job (deleted meanwhile?): the asker asks on its own
        failed,   ///< the job's own request failed: `error` (a 404 for a deleted job)
    };
    /// The answer to one question.
    struct answer {
        waiter_id waiter = 0;
        answer_kind kind = answer_kind::failed;
        std::optional<job_details> job{};
        std::optional<client_error> error{};
    };

    enum class step {
        idle,   ///< nothing to ask (or a fetch is running: end_fetch() first)
        fetch,  ///< start_fetch() now
        wait,   ///< call next() again at `at` (or after the next question)
    };
    struct plan {
        step next = step::idle;
        time_point at{};
    };

    /// What one fetch asks: every job at once (`list`), or each of `jobs` (in order, on one
    /// connection).
    struct batch {
        bool list = false;
        std::vector<std::string> jobs{};
    };

    explicit job_status_watch(job_status_watch_settings settings = {});

    /// A question about `job` (a submission id), whose asker wants an answer within about
    /// `patience` (its own poll interval): the wait between fetches is the smallest patience
    /// among the waiting questions, within [shortest_interval, interval].
    void ask(waiter_id waiter, std::string job, std::chrono::milliseconds patience);

    /// What to do at `now`. A first question, or one after a quiet interval, is fetched at once.
    plan next(time_point now) const;

    /// Starts the fetch that next() asked for: every waiting question goes into it. Questions
    /// asked from now on wait for the next fetch.
    batch start_fetch(time_point now);

    /// The list answered: every question of the fetch is answered, `missing` for a job it lacks.
    std::vector<answer> on_list(std::span<const job_details> jobs);
    /// The list failed with `error` at `now`: its questions wait again, for a per-job fetch at
    /// once; lists are not used for list_retry_after when the failure will recur
    /// (list_failure_lasts), else for one fetch.
    void on_list_failed(const client_error& error, time_point now);

    /// True when a failed list will fail again (the body cap, 400/404/501, a malformed list);
    /// false for a 429, a 5xx, a timeout, a lost connection.
    static bool list_failure_lasts(const client_error& error) noexcept;
    /// `job`'s own request answered: its questions are `seen`.
    std::vector<answer> on_job(std::string_view job, const job_details& details);
    /// `job`'s own request failed with `error`: its questions are `failed`.
    std::vector<answer> on_job_failed(std::string_view job, const client_error& error);
    /// The fetch is over; questions it did not answer (a fetch cut short) wait again.
    void end_fetch();

    bool fetching() const noexcept { return fetching_; }
    /// Questions not yet answered, in the running fetch or waiting for the next one.
    std::size_t unanswered() const noexcept;

private:
    struct question {
        waiter_id waiter;
        std::chrono::milliseconds patience;
    };
    using questions_by_job = std::map<std::string, std::vector<question>, std::less<>>;

    static void merge(questions_by_job& into, questions_by_job& from);
    std::vector<answer> answer_job(std::string_view job, answer_kind kind, const job_details* details,
                                   const client_error* error);
    void note_patience(std::chrono::milliseconds patience) noexcept;

    job_status_watch_settings settings_;
    questions_by_job waiting_;    ///< for the next fetch
    questions_by_job in_flight_;  ///< in the running fetch
    std::optional<time_point> last_start_{};
    std::optional<std::chrono::milliseconds> smallest_patience_{};  ///< among waiting_
    std::optional<time_point> list_again_at_{};                     ///< lists not used before
    bool fetching_ = false;
    bool at_once_ = false;  ///< the next fetch starts at once (it replaces a failed list)
};

}  // namespace raycl::core
