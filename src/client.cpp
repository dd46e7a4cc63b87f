// The client facade: validation, the five-strand pool, retries, and decoding, composed over
// the pure core (src/core) and the Beast transport (src/transport).
#include "client_impl.hpp"

#include "core/models_json.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>

namespace raycl {

namespace detail {

namespace {

core::attempt_outcome outcome_of(core::transport_failure failure) {
    using core::attempt_outcome;
    using core::transport_failure;
    switch (failure) {
        case transport_failure::resolve_failed:
        case transport_failure::connect_refused:
        case transport_failure::connect_timeout:
        case transport_failure::tls_failed:
            return attempt_outcome::not_sent;
        case transport_failure::stale_connection:
            return attempt_outcome::stale_connection;
        case transport_failure::read_timeout:
            return attempt_outcome::timed_out;
        case transport_failure::connection_lost:
            return attempt_outcome::connection_lost;
        case transport_failure::body_too_large:
        case transport_failure::malformed_response:
        case transport_failure::cancelled:
            return attempt_outcome::final_error;
    }
    return attempt_outcome::final_error;
}

}  // namespace

/// Sends `request` with the retry policy; returns the first response that is not a
/// retryable failure (which may still be a 4xx/5xx for the caller to map).
asio::awaitable<request_result> client_impl::perform(strand_slot& slot, const core::request_spec& request,
                                                     const call_options& call) {
    const seconds connect_timeout = call.connect_timeout.value_or(options_.timeout.connect);
    const seconds read_timeout = call.read_timeout.value_or(options_.timeout.read);
    const retry_policy policy = call.retry.value_or(options_.retry);
    transport::http_request wire{request.method, prefixed(request.target), request.body, request.json_body};

    request_result result;
    int attempts = 0;
    int stale_retries = 0;
    for (;;) {
        if (stopping_) throw cancelled_error(request, "the client was destroyed");
        core::attempt_outcome outcome = core::attempt_outcome::success;
        std::optional<client_error> failure;
        try {
            ++requests_sent_;
            result.response = co_await slot.session.send(wire, connect_timeout, read_timeout);
            if (!core::is_retryable_status(result.response.status)) co_return result;
            outcome = core::attempt_outcome::retryable_status;
            failure = core::classify_status(request, result.response.status, result.response.body, secrets_);
        } catch (const transport::attempt_error& error) {
            if (error.failure() == core::transport_failure::cancelled) throw cancelled_error(request, error.detail());
            outcome = outcome_of(error.failure());
            failure = core::transport_error(request, error.failure(), error.detail(), secrets_);
        }
        const bool stale = outcome == core::attempt_outcome::stale_connection;
        const auto step = core::decide_retry(policy, attempts + 1, outcome, request.idempotent, stale_retries,
                                             std::uniform_real_distribution<double>(0.0, 1.0)(slot.random));
        if (!step.retry) {
            // A stale connection that may not be repeated is, for the caller, a lost one.
            throw *failure;
        }
        if (step.counts_as_attempt) ++attempts;
        if (stale)
            ++stale_retries;
        else
            stale_retries = 0;
        ++retries_;
        result.repeated = true;
        if (step.delay.count() > 0) co_await sleep(slot, step.delay, request);
    }
}

asio::awaitable<void> client_impl::sleep(strand_slot& slot, std::chrono::milliseconds delay,
                                         const core::request_spec& request) {
    asio::steady_timer timer(slot.session.strand(), delay);
    slot.sleeping.push_back(&timer);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    slot.sleeping.remove(&timer);
    if (ec) throw cancelled_error(request, "cancelled during back-off");
}

}  // namespace detail

namespace {

using detail::client_impl;
using detail::request_result;

/// A state-API resource: its route, the column that holds its id, and its row decoder.
template <class T>
struct state_resource {
    const char* kind;
    const char* route;
    const char* id_key;
    T (*decode_row)(json::value);
};

const state_resource<node_info> nodes{"node", "nodes", "node_id", &core::decode_node};
const state_resource<task_info> tasks{"task", "tasks", "task_id", &core::decode_task};
const state_resource<actor_info> actors{"actor", "actors", "actor_id", &core::decode_actor};

/// Lists a state-API resource (options already validated).
template <class T>
asio::awaitable<list_result<T>> list_state(const std::shared_ptr<client_impl>& impl, const state_resource<T>& resource,
                                           const list_options& options, call_options call) {
    return impl->run<list_result<T>>(
        core::state_list_request(resource.route, options), std::move(call),
        [impl, decode_row = resource.decode_row](const core::request_spec& request, const request_result& result) {
            return core::decode_state_list(impl->parse(request, result.response), decode_row);
        });
}

/// Looks one row up by id (id already validated): Ray has no get-by-id route, so this lists
/// with an `id = <id>` filter; no row is a 404. Tasks may return one row per attempt: the
/// highest attempt_number wins.
template <class T>
asio::awaitable<T> get_state_row(const std::shared_ptr<client_impl>& impl, const state_resource<T>& resource,
                                 std::string id, call_options call) {
    return impl->run<T>(
        core::state_get_request(resource.route, resource.id_key, id), std::move(call),
        [impl, id, kind = resource.kind, decode_row = resource.decode_row](const core::request_spec& request,
                                                                           const request_result& result) {
            auto list = core::decode_state_list(impl->parse(request, result.response), decode_row);
            if (list.items.empty()) {
                throw client_error(error_kind::not_found,
                                   core::sanitize(std::string(kind) + " " + id + " not found", impl->secrets()),
                                   core::sanitize(request.describe(), impl->secrets()), {}, 200);
            }
            if constexpr (std::is_same_v<T, task_info>) {
                return *std::max_element(list.items.begin(), list.items.end(),
                                         [](const T& a, const T& b) { return a.attempt_number < b.attempt_number; });
            } else {
                return std::move(list.items.front());
            }
        });
}

}  // namespace

client::client(client_options options) : loop_(std::make_unique<detail::owned_loop>()) {
    try {
        impl_ = std::make_shared<client_impl>(loop_->executor(), options, loop_->shared());
    } catch (...) {
        loop_->finish(std::chrono::milliseconds(1000));  // never on the loop's thread here
        throw;
    }
}

client::client(asio::any_io_executor executor, client_options options)
    : impl_(std::make_shared<client_impl>(std::move(executor), options)) {}

client::~client() {
    if (impl_) impl_->shutdown();
    if (loop_) loop_->finish(std::chrono::milliseconds(5000));
    // The impl (and log streams still open) share the loop: its io_context is destroyed with
    // the last of them, after their strands, sockets and channels.
    loop_.reset();
    impl_.reset();
}

asio::any_io_executor client::get_executor() const noexcept {
    return impl_->executor();
}

const std::string& client::address() const noexcept {
    return impl_->address();
}

client_stats client::stats() const noexcept {
    return impl_->stats();
}

// Each operation below is: validate (throws 400 before any I/O), build the request (pure),
// run it on a strand with retries, map the response (pure). The lambdas run on the strand.

asio::awaitable<version_info> client::get_version(call_options call) {
    auto impl = impl_;
    auto operation = impl->run<version_info>(core::version_request(), std::move(call),
                                             [impl](const core::request_spec& request, const request_result& result) {
                                                 return core::decode_version(impl->parse(request, result.response));
                                             });
    co_return co_await std::move(operation);
}

asio::awaitable<job_details> client::get_job(std::string id, call_options call) {
    core::validate_resource_id("job", id);
    auto impl = impl_;
    auto operation = impl->run<job_details>(core::get_job_request(id), std::move(call),
                                            [impl](const core::request_spec& request, const request_result& result) {
                                                return core::decode_job_details(impl->parse(request, result.response));
                                            });
    co_return co_await std::move(operation);
}

asio::awaitable<std::vector<job_details>> client::list_jobs(call_options call) {
    auto impl = impl_;
    auto operation =
        impl->run<std::vector<job_details>>(core::list_jobs_request(), std::move(call),
                                            [impl](const core::request_spec& request, const request_result& result) {
                                                return core::decode_job_list(impl->parse(request, result.response));
                                            });
    co_return co_await std::move(operation);
}

asio::awaitable<std::string> client::list_job_logs(std::string id, call_options call) {
    core::validate_resource_id("job", id);
    auto impl = impl_;
    auto operation = impl->run<std::string>(core::job_logs_request(id), std::move(call),
                                            [impl](const core::request_spec& request, const request_result& result) {
                                                return core::decode_job_logs(impl->parse(request, result.response));
                                            });
    co_return co_await std::move(operation);
}

asio::awaitable<bool> client::stop_job(std::string id, call_options call) {
    core::validate_resource_id("job", id);
    auto impl = impl_;
    auto operation = impl->run<bool>(core::stop_job_request(id), std::move(call),
                                     [impl](const core::request_spec& request, const request_result& result) {
                                         return core::decode_stopped(impl->parse(request, result.response));
                                     });
    co_return co_await std::move(operation);
}

asio::awaitable<std::string> client::submit_job(job_submission submission, call_options call) {
    core::validate_submission(submission);
    const std::string submission_id = submission.submission_id.value_or(core::generate_submission_id());
    auto impl = impl_;
    auto operation = impl->run<std::string>(
        core::submit_job_request(submission, submission_id), std::move(call),
        [impl, submission_id](const core::request_spec& request, const request_result& result) {
            // A repeated submit that Ray refuses as a duplicate means an earlier attempt landed.
            if (result.repeated && core::is_duplicate_submission(result.response.status, result.response.body))
                return submission_id;
            return core::decode_submission_id(impl->parse(request, result.response));
        });
    co_return co_await std::move(operation);
}

asio::awaitable<bool> client::delete_job(std::string id, call_options call) {
    core::validate_resource_id("job", id);
    auto impl = impl_;
    auto operation = impl->run<bool>(
        core::delete_job_request(id), std::move(call),
        [impl](const core::request_spec& request, const request_result& result) {
            const auto& response = result.response;
            // Ray answers a delete of a non-terminal job with a 500 and a traceback; it is the
            // caller's mistake, not a server failure.
            if (response.status == 500 && response.body.find("terminal") != std::string::npos) {
                throw client_error(error_kind::invalid_argument,
                                   "job is not in a terminal state; stop it and wait before deleting",
                                   core::sanitize(request.describe(), impl->secrets()),
                                   core::sanitize(response.body, impl->secrets(), 2048), response.status);
            }
            return core::decode_deleted(impl->parse(request, response));
        });
    co_return co_await std::move(operation);
}

asio::awaitable<job_details> client::wait_for_job(std::string id, wait_options wait, call_options call) {
    core::validate_resource_id("job", id);
    core::validate_call_options(call);
    if (wait.initial_interval.count() <= 0 || wait.max_interval < wait.initial_interval)
        throw client_error(error_kind::invalid_argument, "wait intervals must be positive and initial <= max");
    const auto start = std::chrono::steady_clock::now();
    auto interval = wait.initial_interval;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        auto job = co_await get_job(id, call);
        if (job.is_terminal()) co_return job;
        if (wait.on_poll) wait.on_poll(job);
        auto pause = std::chrono::steady_clock::duration(interval);
        if (wait.deadline) {
            const auto left = start + *wait.deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) {
                throw client_error(error_kind::timeout,
                                   "job " + id + " is still " + job.status_text + " after the wait deadline",
                                   "GET /api/jobs/" + id);
            }
            pause = std::min(pause, left);
        }
        timer.expires_after(pause);
        co_await timer.async_wait(asio::use_awaitable);
        interval = std::min(interval * 2, wait.max_interval);
    }
}

asio::awaitable<node_info> client::get_node(std::string id, call_options call) {
    core::validate_resource_id("node", id);
    auto operation = get_state_row(impl_, nodes, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<node_info>> client::list_nodes(list_options options, call_options call) {
    core::validate_list_options(options);
    auto operation = list_state(impl_, nodes, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<task_info> client::get_task(std::string id, call_options call) {
    core::validate_resource_id("task", id);
    auto operation = get_state_row(impl_, tasks, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<task_info>> client::list_tasks(list_options options, call_options call) {
    core::validate_list_options(options);
    auto operation = list_state(impl_, tasks, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<actor_info> client::get_actor(std::string id, call_options call) {
    core::validate_resource_id("actor", id);
    auto operation = get_state_row(impl_, actors, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<actor_info>> client::list_actors(list_options options, call_options call) {
    core::validate_list_options(options);
    auto operation = list_state(impl_, actors, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<serve_instance> client::list_serve_applications(call_options call) {
    auto impl = impl_;
    auto operation =
        impl->run<serve_instance>(core::serve_list_request(), std::move(call),
                                  [impl](const core::request_spec& request, const request_result& result) {
                                      return core::decode_serve_instance(impl->parse(request, result.response));
                                  });
    co_return co_await std::move(operation);
}

asio::awaitable<serve_application> client::get_serve_application(std::string name, call_options call) {
    core::validate_app_name(name);
    auto instance = co_await list_serve_applications(std::move(call));
    if (const auto* app = instance.find(name)) co_return *app;
    throw client_error(error_kind::not_found,
                       "Serve application " + core::sanitize(name, impl_->secrets(), 256) + " not found",
                       "GET /api/serve/applications/", {}, 200);
}

asio::awaitable<void> client::deploy_serve_applications(json::object config, call_options call) {
    if (!config.contains("applications") || !config.at("applications").is_array())
        throw client_error(error_kind::invalid_argument, "a Serve config needs an \"applications\" array");
    auto impl = impl_;
    auto operation = impl->run<bool>(core::serve_deploy_request(config), std::move(call),
                                     [impl](const core::request_spec& request, const request_result& result) {
                                         impl->throw_if_failed(request, result.response);
                                         return true;
                                     });
    co_await std::move(operation);
}

asio::awaitable<void> client::delete_serve_application(std::string name, call_options call) {
    core::validate_app_name(name);
    const auto instance = co_await list_serve_applications(call);
    // Throws 404 (absent) or 400 (imperative) before anything is changed.
    auto config = core::serve_config_without(instance, name);
    co_await deploy_serve_applications(std::move(config), std::move(call));
}

asio::awaitable<void> client::shutdown_serve(call_options call) {
    auto impl = impl_;
    auto operation = impl->run<bool>(core::serve_shutdown_request(), std::move(call),
                                     [impl](const core::request_spec& request, const request_result& result) {
                                         impl->throw_if_failed(request, result.response);
                                         return true;
                                     });
    co_await std::move(operation);
}

}  // namespace raycl
