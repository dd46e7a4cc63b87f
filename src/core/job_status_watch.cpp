#include "core/job_status_watch.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace raycl::core {

job_status_watch::job_status_watch(job_status_watch_settings settings) : settings_(settings) {}

void job_status_watch::ask(waiter_id waiter, std::string job, std::chrono::milliseconds patience) {
    waiting_[std::move(job)].push_back({waiter, patience});
    note_patience(patience);
}

void job_status_watch::note_patience(std::chrono::milliseconds patience) noexcept {
    if (!smallest_patience_ || patience < *smallest_patience_) smallest_patience_ = patience;
}

job_status_watch::plan job_status_watch::next(time_point now) const {
    if (fetching_ || waiting_.empty()) return {step::idle, {}};
    if (at_once_ || !last_start_) return {step::fetch, now};
    const auto spacing =
        std::clamp(smallest_patience_.value_or(settings_.interval), settings_.shortest_interval, settings_.interval);
    const auto at = *last_start_ + spacing;
    if (at <= now) return {step::fetch, now};
    return {step::wait, at};
}

job_status_watch::batch job_status_watch::start_fetch(time_point now) {
    merge(in_flight_, waiting_);
    smallest_patience_.reset();
    last_start_ = now;
    fetching_ = true;
    at_once_ = false;
    batch result;
    const bool list_usable = !list_again_at_ || now >= *list_again_at_;
    if (list_usable && in_flight_.size() >= settings_.list_from) {
        result.list = true;
        return result;
    }
    result.jobs.reserve(in_flight_.size());
    for (const auto& [job, questions] : in_flight_) result.jobs.push_back(job);
    return result;
}

std::vector<job_status_watch::answer> job_status_watch::on_list(std::span<const job_details> jobs) {
    std::unordered_map<std::string_view, const job_details*> by_id;
    by_id.reserve(jobs.size());
    for (const job_details& job : jobs)
        if (job.submission_id) by_id.emplace(*job.submission_id, &job);
    std::vector<answer> answers;
    for (auto& [id, questions] : in_flight_) {
        const auto found = by_id.find(id);
        for (const question& q : questions) {
            answer a;
            a.waiter = q.waiter;
            a.kind = found == by_id.end() ? answer_kind::missing : answer_kind::seen;
            if (found != by_id.end()) a.job = *found->second;
            answers.push_back(std::move(a));
        }
    }
    in_flight_.clear();
    return answers;
}

bool job_status_watch::list_failure_lasts(const client_error& error) noexcept {
    switch (error.kind()) {
        case error_kind::limit_exceeded:
            return error.http_status() != 429;  // a 429 passes; the response cap does not
        case error_kind::invalid_argument:
        case error_kind::not_found:
        case error_kind::unsupported:
        case error_kind::protocol_error:
            return true;
        default:
            return false;
    }
}

void job_status_watch::on_list_failed(const client_error& error, time_point now) {
    // The per-job fetch starts at once, before `interval` has passed: it asks per job; the one
    // after it lists again unless the failure lasts.
    list_again_at_ = now + (list_failure_lasts(error) ? settings_.list_retry_after : settings_.interval);
    for (const auto& [job, questions] : in_flight_)
        for (const question& q : questions) note_patience(q.patience);
    merge(waiting_, in_flight_);
    at_once_ = true;
}

std::vector<job_status_watch::answer> job_status_watch::on_job(std::string_view job, const job_details& details) {
    return answer_job(job, answer_kind::seen, &details, nullptr);
}

std::vector<job_status_watch::answer> job_status_watch::on_job_failed(std::string_view job,
                                                                      const client_error& error) {
    return answer_job(job, answer_kind::failed, nullptr, &error);
}

std::vector<job_status_watch::answer> job_status_watch::answer_job(std::string_view job, answer_kind kind,
                                                                   const job_details* details,
                                                                   const client_error* error) {
    std::vector<answer> answers;
    const auto found = in_flight_.find(job);
    if (found == in_flight_.end()) return answers;
    for (const question& q : found->second) {
        answer a;
        a.waiter = q.waiter;
        a.kind = kind;
        if (details) a.job = *details;
        if (error) a.error = *error;
        answers.push_back(std::move(a));
    }
    in_flight_.erase(found);
    return answers;
}

void job_status_watch::end_fetch() {
    for (const auto& [job, questions] : in_flight_)
        for (const question& q : questions) note_patience(q.patience);
    merge(waiting_, in_flight_);
    fetching_ = false;
}

std::size_t job_status_watch::unanswered() const noexcept {
    std::size_t n = 0;
    for (const auto& [job, questions] : waiting_) n += questions.size();
    for (const auto& [job, questions] : in_flight_) n += questions.size();
    return n;
}

void job_status_watch::merge(questions_by_job& into, questions_by_job& from) {
    if (into.empty()) {
        into.swap(from);
        return;
    }
    for (auto& [job, questions] : from) {
        auto& target = into[job];
        target.insert(target.end(), questions.begin(), questions.end());
    }
    from.clear();
}

}  // namespace raycl::core
