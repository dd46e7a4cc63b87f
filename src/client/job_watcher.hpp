// The client's job-status watcher: the log tails of jobs ask it whether their job finished
// instead of asking the dashboard each on its own. It performs what core::job_status_watch
// decides (one fetch per interval for every waiting question: a `GET /api/jobs/{id}` per
// distinct job, or one `GET /api/jobs/`) on the client's first strand, with that strand's
// keep-alive pool, and hands each answer to its waiter on the waiter's own strand.
#pragma once

#include "client/client_impl.hpp"
#include "core/job_status_watch.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace raycl::detail {

/// What a tail learns from the watcher.
struct job_watch_outcome {
    enum class kind {
        seen,       ///< `job` is the job as the cluster reported it
        missing,    ///< the list of jobs lacked it: ask on your own (a deleted job answers 404)
        failed,     ///< its own request failed: `error`
        cancelled,  ///< the client shuts down
    };
    kind result = kind::cancelled;
    std::optional<job_details> job{};
    std::optional<client_error> error{};
};

class job_watcher : public closable, public std::enable_shared_from_this<job_watcher> {
public:
    /// A watcher sending on `slot` (its strand holds the watcher's state) of `impl`, which owns
    /// the watcher; requests take the client's default call options.
    job_watcher(client_impl& impl, strand_slot& slot, core::job_status_watch_settings settings = {});

    /// Asks about job `id` (a submission id); `patience`: the asker's poll interval (see
    /// core::job_status_watch::ask). Completes on the awaiting coroutine's executor once the
    /// next fetch answered, or with `cancelled` once close() was called. Any thread. Never throws
    /// a client_error: failures are outcomes.
    asio::awaitable<job_watch_outcome> ask(std::string id, std::chrono::milliseconds patience);

    /// Ends every wait with `cancelled` and refuses new questions; a fetch in flight ends with the
    /// client's connections (client_impl::shutdown). Any thread; idempotent.
    void close() noexcept override;

private:
    using clock = std::chrono::steady_clock;
    struct waiter {
        asio::steady_timer wake;  ///< cancelled when answered (or closed)
        job_watch_outcome outcome{};
        bool answered = false;
    };

    void plan_after_question();
    asio::awaitable<void> run();
    asio::awaitable<void> fetch(const core::job_status_watch::batch& batch);
    void deliver(std::vector<core::job_status_watch::answer> answers);

    client_impl& impl_;
    strand_slot& slot_;
    const call_options default_call_{};

    // On the slot's strand.
    core::job_status_watch watch_;
    std::unordered_map<core::job_status_watch::waiter_id, waiter*> waiters_;
    core::job_status_watch::waiter_id next_waiter_ = 0;
    asio::steady_timer pause_;                    ///< the run loop's wait between fetches
    std::optional<clock::time_point> waiting_to_;  ///< when the run loop waits: until then
    bool running_ = false;
    bool closed_ = false;
};

}  // namespace raycl::detail
