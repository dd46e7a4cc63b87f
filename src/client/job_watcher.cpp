#include "client/job_watcher.hpp"

#include "core/record_decoder.hpp"

#include "core/models_json.hpp"
#include "core/requests.hpp"
#include "core/sanitize.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>

namespace raycl::detail {

job_watcher::job_watcher(client_impl& impl, strand_slot& slot, core::job_status_watch_settings settings)
    : impl_(impl), slot_(slot), watch_(settings), pause_(slot.strand()) {}

asio::awaitable<job_watch_outcome> job_watcher::ask(std::string id, std::chrono::milliseconds patience) {
    auto question = [self = shared_from_this(), id = std::move(id), patience]() -> asio::awaitable<job_watch_outcome> {
        if (self->closed_ || self->impl_.stopping()) {
            job_watch_outcome cancelled;
            co_return cancelled;
        }
        waiter w{asio::steady_timer(self->slot_.strand(), clock::time_point::max())};
        const auto who = self->next_waiter_++;
        self->waiters_.emplace(who, &w);
        self->watch_.ask(who, id, patience);
        self->plan_after_question();
        if (!w.answered) {
            boost::system::error_code ec;
            co_await w.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        self->waiters_.erase(who);
        co_return std::move(w.outcome);
    };
    return asio::co_spawn(slot_.strand(), std::move(question), asio::use_awaitable);
}

void job_watcher::close() noexcept {
    asio::dispatch(slot_.strand(), [self = shared_from_this()] {
        self->closed_ = true;
        self->pause_.cancel();
        for (auto& [who, w] : self->waiters_) {
            if (w->answered) continue;
            w->answered = true;  // outcome stays `cancelled`
            w->wake.cancel();
        }
    });
}

void job_watcher::plan_after_question() {
    if (!running_) {
        running_ = true;
        asio::co_spawn(
            slot_.strand(), [self = shared_from_this()] { return self->run(); }, asio::detached);
        return;
    }
    // The loop waits for a later fetch than this question allows (a smaller patience): re-plan.
    const auto plan = watch_.next(clock::now());
    if (waiting_to_ && plan.next != core::job_status_watch::step::idle && plan.at < *waiting_to_) pause_.cancel();
}

asio::awaitable<void> job_watcher::run() {
    const auto keep_client = impl_.shared_from_this();  // perform() needs the impl to the end
    while (!closed_ && !impl_.stopping()) {
        const auto plan = watch_.next(clock::now());
        if (plan.next == core::job_status_watch::step::idle) break;
        if (plan.next == core::job_status_watch::step::wait) {
            waiting_to_ = plan.at;
            pause_.expires_at(plan.at);
            boost::system::error_code ec;
            co_await pause_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            waiting_to_.reset();
            continue;
        }
        const auto batch = watch_.start_fetch(clock::now());
        auto work = fetch(batch);
        co_await std::move(work);
        watch_.end_fetch();
    }
    running_ = false;
}

asio::awaitable<void> job_watcher::fetch(const core::job_status_watch::batch& batch) {
    if (batch.list) {
        const auto request = core::list_jobs_request();
        std::optional<std::vector<job_details>> jobs;
        std::optional<client_error> failure;
        try {
            auto result = co_await impl_.perform(slot_, request, default_call_);
            jobs = core::decode_job_list_text(impl_.body_text(request, result.response), request, impl_.secrets());
        } catch (const client_error& error) {
            failure = error;  // too large for the response cap, no such route, a 5xx: ask per job
        } catch (const std::exception& error) {
            failure = client_error(error_kind::server_error, core::sanitize(error.what(), impl_.secrets()));
        }
        if (jobs) {
            deliver(watch_.on_list(*jobs));
        } else {
            watch_.on_list_failed(*failure, clock::now());
        }
        co_return;
    }
    // One job after the other, on one pooled connection of the slot.
    for (const auto& id : batch.jobs) {
        if (closed_ || impl_.stopping()) co_return;
        const auto request = core::get_job_request(id);
        std::optional<job_details> job;
        std::optional<client_error> failure;
        try {
            auto result = co_await impl_.perform(slot_, request, default_call_);
            job = core::decode_job_details_text(impl_.body_text(request, result.response), request, impl_.secrets());
        } catch (const client_error& error) {
            failure = error;
        } catch (const std::exception& error) {
            failure = client_error(error_kind::server_error, core::sanitize(error.what(), impl_.secrets()));
        }
        deliver(job ? watch_.on_job(id, *job) : watch_.on_job_failed(id, *failure));
    }
}

void job_watcher::deliver(std::vector<core::job_status_watch::answer> answers) {
    for (auto& a : answers) {
        const auto found = waiters_.find(a.waiter);
        if (found == waiters_.end() || found->second->answered) continue;
        waiter& w = *found->second;
        switch (a.kind) {
            case core::job_status_watch::answer_kind::seen:
                w.outcome.result = job_watch_outcome::kind::seen;
                break;
            case core::job_status_watch::answer_kind::missing:
                w.outcome.result = job_watch_outcome::kind::missing;
                break;
            case core::job_status_watch::answer_kind::failed:
                w.outcome.result = job_watch_outcome::kind::failed;
                break;
        }
        w.outcome.job = std::move(a.job);
        w.outcome.error = std::move(a.error);
        w.answered = true;
        w.wake.cancel();
    }
}

}  // namespace raycl::detail
