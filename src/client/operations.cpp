// The public operations of `raycl::client`: each builds its request (pure, validating: 400
// before any I/O), runs it on one of the client's strands with retries (client_impl::run), and
// decodes the answer (pure). Log tails are in log_stream.cpp and tail_driver.cpp.
#include "client/operation_helpers.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace raycl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

/// How long shutdown_serve waits for Ray's Serve controller to exit after the DELETE.
constexpr std::chrono::seconds serve_shutdown_bound{30};

using detail::client_impl;
using detail::decoded_call;
using detail::get_state_row;
using detail::list_state;
using detail::request_result;

/// Runs `request` and checks its answer is a success (its body does not matter).
asio::awaitable<bool> checked_call(const std::shared_ptr<client_impl>& impl, core::request_spec request,
                                   call_options call) {
    return impl->run<bool>(std::move(request), std::move(call),
                           [impl](const core::request_spec& spec, const request_result& result) {
                               impl->throw_if_failed(spec, result.response);
                               return true;
                           });
}

const detail::state_resource<node_info> nodes{"node", "nodes", "node_id", &core::decode_node};
const detail::state_resource<task_info> tasks{"task", "tasks", "task_id", &core::decode_task,
                                              &core::decode_task_list_text};
const detail::state_resource<actor_info> actors{"actor", "actors", "actor_id", &core::decode_actor};

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

// Each operation below: build the request (validates, throws 400 before any I/O), run it on a
// strand with retries, decode the answer on the strand. Operations are started into a named
// variable before `co_await` (the g++ 12 rule in the README).

asio::awaitable<version_info> client::get_version(call_options call) {
    auto operation = decoded_call<version_info>(impl_, core::version_request(), std::move(call),
                                                [](const json::value& body) { return core::decode_version(body); });
    auto info = co_await std::move(operation);
    // What the version gates need, learned for free.
    if (const auto release = core::parse_ray_release(info.ray_version))
        impl_->remember_version(core::server_version::exactly(*release));
    co_return info;
}

asio::awaitable<job_details> client::get_job(std::string id, call_options call) {
    auto operation = detail::text_call<job_details>(impl_, core::get_job_request(id), std::move(call),
                                                    &core::decode_job_details_text);
    co_return co_await std::move(operation);
}

asio::awaitable<std::vector<job_details>> client::list_jobs(call_options call) {
    auto operation = detail::text_call<std::vector<job_details>>(impl_, core::list_jobs_request(), std::move(call),
                                                                 &core::decode_job_list_text);
    co_return co_await std::move(operation);
}

asio::awaitable<std::string> client::list_job_logs(std::string id, call_options call) {
    auto operation = decoded_call<std::string>(impl_, core::job_logs_request(id), std::move(call),
                                               [](const json::value& body) { return core::decode_job_logs(body); });
    co_return co_await std::move(operation);
}

asio::awaitable<bool> client::stop_job(std::string id, call_options call) {
    auto operation = decoded_call<bool>(impl_, core::stop_job_request(id), std::move(call),
                                        [](const json::value& body) { return core::decode_stopped(body); });
    co_return co_await std::move(operation);
}

asio::awaitable<std::string> client::submit_job(job_submission submission, call_options call) {
    // Packaging and the submit itself: packages.cpp.
    auto operation = submit_job(std::move(submission), packaging_options(), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<bool> client::delete_job(std::string id, call_options call) {
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
    // Every wait below completes with an error code or a client_error: no system_error escapes.
    co_await asio::this_coro::throw_if_cancelled(false);
    const auto request = core::get_job_request(id);  // validates the id
    core::validate_call_options(call);
    if (wait.initial_interval.count() <= 0 || wait.max_interval < wait.initial_interval)
        throw client_error(error_kind::invalid_argument, "wait intervals must be positive and initial <= max");
    const auto start = std::chrono::steady_clock::now();
    auto interval = wait.initial_interval;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        auto poll = get_job(id, call);
        auto job = co_await std::move(poll);
        if (job.is_terminal()) co_return job;
        if (wait.on_poll) wait.on_poll(job);
        auto pause = std::chrono::steady_clock::duration(interval);
        if (wait.deadline) {
            const auto left = start + *wait.deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) {
                throw client_error(error_kind::timeout,
                                   "job " + id + " is still " + job.status_text + " after the wait deadline",
                                   request.describe());
            }
            pause = std::min(pause, left);
        }
        timer.expires_after(pause);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) throw impl_->cancelled_error(request, "cancelled while waiting for the job");
        interval = std::min(interval * 2, wait.max_interval);
    }
}

asio::awaitable<node_info> client::get_node(std::string id, call_options call) {
    auto operation = get_state_row(impl_, nodes, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<node_info>> client::list_nodes(list_options options, call_options call) {
    auto operation = list_state(impl_, nodes, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<task_info> client::get_task(std::string id, call_options call) {
    auto operation = get_state_row(impl_, tasks, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<task_info>> client::list_tasks(list_options options, call_options call) {
    auto operation = list_state(impl_, tasks, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<actor_info> client::get_actor(std::string id, call_options call) {
    auto operation = get_state_row(impl_, actors, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<actor_info>> client::list_actors(list_options options, call_options call) {
    auto operation = list_state(impl_, actors, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<serve_instance> client::list_serve_applications(call_options call) {
    auto operation =
        decoded_call<serve_instance>(impl_, core::serve_list_request(), std::move(call),
                                     [](const json::value& body) { return core::decode_serve_instance(body); });
    co_return co_await std::move(operation);
}

asio::awaitable<serve_instance> client::list_serve_applications(serve_api_type api_type, call_options call) {
    core::validate_call_options(call);
    auto learn = impl_->server_version();
    const auto server = co_await std::move(learn);
    const bool server_filters = core::check(server, core::capability::serve_api_type_filter) == core::support::yes;
    auto operation = decoded_call<serve_instance>(
        impl_, core::serve_list_request(server_filters ? std::optional(to_string(api_type)) : std::nullopt),
        std::move(call), [](const json::value& body) { return core::decode_serve_instance(body); });
    auto instance = co_await std::move(operation);
    co_return core::only_deployed_as(std::move(instance), api_type);
}

asio::awaitable<serve_application> client::get_serve_application(std::string name, call_options call) {
    core::validate_app_name(name);
    auto list = list_serve_applications(std::move(call));
    auto instance = co_await std::move(list);
    if (const auto* app = instance.find(name)) co_return *app;
    throw client_error(error_kind::not_found,
                       "Serve application " + core::sanitize(name, impl_->secrets(), 256) + " not found",
                       "GET /api/serve/applications/", {}, 200);
}

asio::awaitable<void> client::deploy_serve_applications(json::object config, call_options call) {
    // Packaging local paths and the PUT: packages.cpp.
    auto operation = deploy_serve_applications(std::move(config), packaging_options(), std::move(call));
    co_await std::move(operation);
}

asio::awaitable<void> client::delete_serve_application(std::string name, call_options call) {
    // Both steps complete with a client_error when cancelled: no system_error escapes.
    co_await asio::this_coro::throw_if_cancelled(false);
    core::validate_app_name(name);
    auto list = list_serve_applications(call);
    const auto instance = co_await std::move(list);
    // Throws 404 (absent) or 400 (imperative) before anything is changed.
    auto config = core::serve_config_without(instance, name);
    const bool others_imperative =
        std::any_of(instance.applications.begin(), instance.applications.end(),
                    [&](const serve_application& app) { return app.source != "declarative"; });
    if (others_imperative) {
        // Ray before 2.11 deletes every application a declarative PUT does not list.
        auto check = impl_->require(core::capability::serve_declarative_put_keeps_imperative);
        co_await std::move(check);
    }
    auto deploy = deploy_serve_applications(std::move(config), std::move(call));
    co_await std::move(deploy);
}

asio::awaitable<void> client::shutdown_serve(call_options call) {
    const auto request = core::serve_shutdown_request();
    auto operation = checked_call(impl_, request, call);
    co_await std::move(operation);
    // Ray answers before its controller has exited (on 2.9.3 for seconds, and a deploy meanwhile
    // fails with a 500 RayActorError): done once the dashboard reports no controller.
    const auto deadline = std::chrono::steady_clock::now() + serve_shutdown_bound;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        auto poll = list_serve_applications(call);
        if ((co_await std::move(poll)).controller_info.empty()) co_return;
        if (std::chrono::steady_clock::now() >= deadline) {
            throw client_error(error_kind::timeout, "Serve's controller was still running 30 s after the shutdown",
                               request.describe());
        }
        timer.expires_after(std::chrono::milliseconds(200));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) throw impl_->cancelled_error(request, "cancelled while waiting for Serve to shut down");
    }
}

}  // namespace raycl
