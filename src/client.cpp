// The client facade: validation, the five-strand pool, retries, and decoding, composed over
// the pure core (src/core) and the Beast transport (src/transport).
#include <raycl/client.hpp>
#include <raycl/version.hpp>

#include "core/environment.hpp"
#include "core/models_json.hpp"
#include "core/requests.hpp"
#include "core/responses.hpp"
#include "core/retry.hpp"
#include "core/sanitize.hpp"
#include "core/validation.hpp"
#include "transport/http_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <random>
#include <thread>

namespace raycl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace detail {

namespace {

constexpr std::size_t strand_count = 5;

bool is_sensitive_header(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view word : {"auth", "token", "cookie", "secret", "key", "password", "session"}) {
        if (lower.find(word) != std::string::npos) return true;
    }
    return false;
}

core::attempt_outcome outcome_of(core::transport_failure failure) {
    using core::attempt_outcome;
    using core::transport_failure;
    switch (failure) {
        case transport_failure::resolve_failed:
        case transport_failure::connect_refused:
        case transport_failure::connect_timeout:
        case transport_failure::tls_failed: return attempt_outcome::not_sent;
        case transport_failure::stale_connection: return attempt_outcome::stale_connection;
        case transport_failure::read_timeout: return attempt_outcome::timed_out;
        case transport_failure::connection_lost: return attempt_outcome::connection_lost;
        case transport_failure::body_too_large:
        case transport_failure::malformed_response:
        case transport_failure::cancelled: return attempt_outcome::final_error;
    }
    return attempt_outcome::final_error;
}

bool is_retryable_status(int status) { return status == 502 || status == 503 || status == 504; }

}  // namespace

/// An io_context owned by a client, with the one thread that runs it.
class owned_loop {
public:
    owned_loop() : work_(asio::make_work_guard(context_)) {
        thread_ = std::thread([this] {
            context_.run();
            std::unique_lock lock(mutex_);
            finished_ = true;
            finished_changed_.notify_all();
            if (delete_when_finished_) {
                lock.unlock();
                delete this;  // released by finish() from our own thread
            }
        });
    }

    asio::any_io_executor executor() { return context_.get_executor(); }

    /// Lets the thread finish once the remaining (cancelled) work is done, stopping the
    /// io_context if that takes longer than `grace`. Returns false when called from the loop's
    /// own thread: the loop then deletes itself when its current handler returns, and the
    /// caller must release (not delete) it.
    bool finish(std::chrono::milliseconds grace) {
        if (std::this_thread::get_id() == thread_.get_id()) {
            {
                std::lock_guard lock(mutex_);
                delete_when_finished_ = true;
            }
            thread_.detach();
            work_.reset();
            context_.stop();
            return false;
        }
        work_.reset();
        {
            std::unique_lock lock(mutex_);
            if (!finished_changed_.wait_for(lock, grace, [this] { return finished_; })) context_.stop();
        }
        thread_.join();
        return true;
    }

    ~owned_loop() {
        if (thread_.joinable()) {
            work_.reset();
            context_.stop();
            thread_.join();
        }
    }

private:
    asio::io_context context_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::mutex mutex_;
    std::condition_variable finished_changed_;
    bool finished_ = false;
    bool delete_when_finished_ = false;
    std::thread thread_;
};

/// One of the five strands with its connections and back-off timers.
struct strand_slot {
    strand_slot(transport::strand_type strand, std::shared_ptr<const transport::session_settings> settings,
                std::atomic<std::uint64_t>& connections_opened)
        : session(strand, std::move(settings), &connections_opened), random(std::random_device{}()) {}

    transport::strand_session session;
    std::list<asio::steady_timer*> sleeping;  ///< back-off timers in use, cancelled on shutdown
    std::minstd_rand random;
};

/// Result of a request after retries: the final response and whether it was repeated.
struct request_result {
    transport::http_response response;
    bool repeated = false;
};

class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    client_impl(asio::any_io_executor executor, const client_options& options)
        : executor_(std::move(executor)), options_(options) {
        auto env = core::environment_view::system();
        auto settings = std::make_shared<transport::session_settings>();
        options_.address = core::discover_address(options, env);
        options_.token = core::discover_token(options, env);
        core::validate_client_options(options_);
        settings->endpoint = core::parse_address(options_.address);
        settings->max_response_bytes = options_.max_response_bytes;
        settings->max_idle_connections = options_.max_idle_connections_per_strand;
        settings->headers.emplace_back("User-Agent", std::string("raycl/") + RAYCL_VERSION_STRING);
        settings->headers.emplace_back("Accept", "application/json, text/plain, */*");
        if (!options_.token.empty()) {
            secrets_.push_back(options_.token);
            settings->headers.emplace_back(options_.token_header == token_header::authorization
                                               ? "Authorization"
                                               : "X-Ray-Authorization",
                                           "Bearer " + options_.token);
        }
        std::string cookie;
        for (const auto& [name, value] : options_.cookies) {
            if (!cookie.empty()) cookie += "; ";
            cookie += name + "=" + value;
            if (!value.empty()) secrets_.push_back(value);
        }
        if (!cookie.empty()) settings->headers.emplace_back("Cookie", cookie);
        for (const auto& [name, value] : options_.headers) {
            settings->headers.emplace_back(name, value);
            if (is_sensitive_header(name) && !value.empty()) secrets_.push_back(value);
        }
        if (settings->endpoint.tls) settings->tls = transport::make_tls_context(options_.tls);
        address_ = settings->endpoint.display;
        base_path_ = settings->endpoint.base_path;
        for (std::size_t i = 0; i < strand_count; ++i) {
            slots_.push_back(std::make_unique<strand_slot>(asio::make_strand(executor_), settings, connections_opened_));
        }
    }

    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const std::string& address() const noexcept { return address_; }
    const std::vector<std::string>& secrets() const noexcept { return secrets_; }
    const client_options& options() const noexcept { return options_; }

    client_stats stats() const noexcept {
        client_stats result;
        result.requests_sent = requests_sent_.load();
        result.retries = retries_.load();
        result.connections_opened = connections_opened_.load();
        result.operations_active = operations_active_.load();
        return result;
    }

    /// Validates call options, then runs `request` on one strand with retries, and hands the
    /// final response to `handle` (also on the strand). Completes on the caller's executor.
    /// Not a coroutine itself: its arguments go straight into the spawned operation, so no
    /// temporary lives across a suspension (g++ 12 mishandles those in co_await expressions).
    template <class T, class Handler>
    asio::awaitable<T> run(core::request_spec request, call_options call, Handler handle) {
        core::validate_call_options(call);
        auto& slot = next_slot();
        auto operation = [self = shared_from_this(), &slot, request = std::move(request),
                          call = std::move(call), handle = std::move(handle)]() mutable -> asio::awaitable<T> {
            active_operation guard(*self);
            request_result result;
            try {
                result = co_await self->perform(slot, request, call);
            } catch (const boost::system::system_error& error) {
                // A cancelled coroutine throws from its next co_await.
                throw self->cancelled_error(request, error.code().message());
            }
            co_return handle(request, result);
        };
        return asio::co_spawn(slot.session.strand(), std::move(operation), asio::use_awaitable);
    }

    /// Throws the client_error of a non-2xx response (nothing for 2xx).
    void throw_if_failed(const core::request_spec& request, const transport::http_response& response) const {
        if (auto error = core::classify_status(request, response.status, response.body, secrets_)) throw *error;
    }

    json::value parse(const core::request_spec& request, const transport::http_response& response) const {
        throw_if_failed(request, response);
        return core::parse_json_body(request, response.body);
    }

    /// Cancels everything: closes connections, wakes back-off timers, refuses new work.
    void shutdown() {
        stopping_ = true;
        auto self = shared_from_this();
        for (auto& slot : slots_) {
            asio::dispatch(slot->session.strand(), [self, slot = slot.get()] {
                slot->session.shutdown();
                for (auto* timer : slot->sleeping) timer->cancel();
            });
        }
    }

    std::string prefixed(std::string target) const { return base_path_ + target; }

private:
    /// Counts an operation in `operations_active` for its lifetime.
    struct active_operation {
        explicit active_operation(client_impl& impl) : impl_(impl) { ++impl_.operations_active_; }
        ~active_operation() { --impl_.operations_active_; }
        active_operation(const active_operation&) = delete;
        active_operation& operator=(const active_operation&) = delete;
        client_impl& impl_;
    };

    strand_slot& next_slot() noexcept {
        return *slots_[next_strand_.fetch_add(1, std::memory_order_relaxed) % slots_.size()];
    }

    client_error cancelled_error(const core::request_spec& request, std::string_view detail) const {
        return core::transport_error(request, core::transport_failure::cancelled,
                                     stopping_ ? "the client was destroyed" : detail, secrets_);
    }

    /// Sends `request` with the retry policy; returns the first response that is not a
    /// retryable failure (which may still be a 4xx/5xx for the caller to map).
    asio::awaitable<request_result> perform(strand_slot& slot, const core::request_spec& request,
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
                if (!is_retryable_status(result.response.status)) co_return result;
                outcome = core::attempt_outcome::retryable_status;
                failure = core::classify_status(request, result.response.status, result.response.body, secrets_);
            } catch (const transport::attempt_error& error) {
                if (error.failure() == core::transport_failure::cancelled)
                    throw cancelled_error(request, error.detail());
                outcome = outcome_of(error.failure());
                failure = core::transport_error(request, error.failure(), error.detail(), secrets_);
            }
            const bool stale = outcome == core::attempt_outcome::stale_connection;
            const auto step = core::decide_retry(policy, attempts + 1, outcome, request.idempotent,
                                                 stale_retries, std::uniform_real_distribution<double>(0.0, 1.0)(slot.random));
            if (!step.retry) {
                // A stale connection that may not be repeated is, for the caller, a lost one.
                throw *failure;
            }
            if (step.counts_as_attempt) ++attempts;
            if (stale) ++stale_retries; else stale_retries = 0;
            ++retries_;
            result.repeated = true;
            if (step.delay.count() > 0) co_await sleep(slot, step.delay, request);
        }
    }

    asio::awaitable<void> sleep(strand_slot& slot, std::chrono::milliseconds delay,
                                const core::request_spec& request) {
        asio::steady_timer timer(slot.session.strand(), delay);
        slot.sleeping.push_back(&timer);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        slot.sleeping.remove(&timer);
        if (ec) throw cancelled_error(request, "cancelled during back-off");
    }

    asio::any_io_executor executor_;
    client_options options_;
    std::string address_;
    std::string base_path_;
    std::vector<std::string> secrets_;
    std::vector<std::unique_ptr<strand_slot>> slots_;
    std::atomic<std::size_t> next_strand_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> requests_sent_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> connections_opened_{0};
    std::atomic<std::uint64_t> operations_active_{0};
};

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
    T (*decode_row)(const json::value&);
};

const state_resource<node_info> nodes{"node", "nodes", "node_id", &core::decode_node};
const state_resource<task_info> tasks{"task", "tasks", "task_id", &core::decode_task};
const state_resource<actor_info> actors{"actor", "actors", "actor_id", &core::decode_actor};

/// Lists a state-API resource (options already validated).
template <class T>
asio::awaitable<list_result<T>> list_state(const std::shared_ptr<client_impl>& impl, const state_resource<T>& resource,
                                           const list_options& options, call_options call) {
    return impl->run<list_result<T>>(core::state_list_request(resource.route, options), std::move(call),
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
    return impl->run<T>(core::state_get_request(resource.route, resource.id_key, id), std::move(call),
        [impl, id, kind = resource.kind, decode_row = resource.decode_row](const core::request_spec& request,
                                                                          const request_result& result) {
            auto list = core::decode_state_list(impl->parse(request, result.response), decode_row);
            if (list.items.empty()) {
                throw client_error(error_kind::not_found,
                                   core::sanitize(std::string(kind) + " " + id + " not found", impl->secrets()),
                                   core::sanitize(request.describe(), impl->secrets()), {}, 200);
            }
            if constexpr (std::is_same_v<T, task_info>) {
                return *std::max_element(list.items.begin(), list.items.end(), [](const T& a, const T& b) {
                    return a.attempt_number < b.attempt_number;
                });
            } else {
                return std::move(list.items.front());
            }
        });
}

}  // namespace

client::client(client_options options) : loop_(std::make_unique<detail::owned_loop>()) {
    try {
        impl_ = std::make_shared<client_impl>(loop_->executor(), options);
    } catch (...) {
        loop_->finish(std::chrono::milliseconds(1000));  // never on the loop's thread here
        throw;
    }
}

client::client(asio::any_io_executor executor, client_options options)
    : impl_(std::make_shared<client_impl>(std::move(executor), options)) {}

client::~client() {
    if (impl_) impl_->shutdown();
    if (loop_ && !loop_->finish(std::chrono::milliseconds(5000))) {
        (void)loop_.release();  // destroyed from its own thread: the loop deletes itself
    }
    loop_.reset();  // destroys handlers still queued, releasing their hold on the impl
    impl_.reset();
}

asio::any_io_executor client::get_executor() const noexcept { return impl_->executor(); }

const std::string& client::address() const noexcept { return impl_->address(); }

client_stats client::stats() const noexcept { return impl_->stats(); }

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
    auto operation = impl->run<std::vector<job_details>>(core::list_jobs_request(), std::move(call),
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
    const std::string submission_id =
        submission.submission_id.value_or(core::generate_submission_id());
    auto impl = impl_;
    auto operation = impl->run<std::string>(core::submit_job_request(submission, submission_id), std::move(call),
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
    auto operation = impl->run<bool>(core::delete_job_request(id), std::move(call),
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
    auto operation = impl->run<serve_instance>(core::serve_list_request(), std::move(call),
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
