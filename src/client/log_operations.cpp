// Logs of anything: list a node's log files, read one log, follow one log. Reading builds the
// request (pure, validating: 400 before any I/O) and reads Ray's answer with
// core::classify_log_status (Ray's 500 "not found" sentences are 404). Following checks the
// target first (404/400; a job's WebSocket is checked by its upgrade, opened at once), then
// starts the tail driver with the target's core::log_target.
#include "client/operation_helpers.hpp"
#include "client/tail_driver.hpp"

#include "core/log_requests.hpp"
#include "core/log_targets.hpp"
#include "core/state_json.hpp"

#include <boost/asio/this_coro.hpp>

namespace raycl {

namespace asio = boost::asio;

namespace {

using detail::client_impl;
using detail::request_result;

/// Runs a request of the log routes; its body is the answer (raw text or JSON; a framed log
/// body, request.framed_log_body, without its status bytes: core::log_file_text).
asio::awaitable<std::string> log_call(const std::shared_ptr<client_impl>& impl, core::request_spec request,
                                      call_options call) {
    return impl->run<std::string>(std::move(request), std::move(call),
                                  [impl](const core::request_spec& spec, const request_result& result) {
                                      return core::log_file_text(spec, result.response.status, result.response.body,
                                                                 result.response.chunk_starts, impl->secrets());
                                  });
}

/// How this server frames `/api/v0/logs/*` bodies (a status byte per chunk before Ray 2.45).
asio::awaitable<core::log_framing> log_framing_of_server(const std::shared_ptr<client_impl>& impl) {
    auto learn = impl->server_version();
    co_return core::log_framing_of(co_await std::move(learn));
}

/// The node by id or IP: the head is looked up (`GET /api/v0/nodes?filter is_head_node=true`).
asio::awaitable<node_selector> resolve_node(std::shared_ptr<client_impl> impl, node_selector node, call_options call) {
    if (node.how() != node_selector::kind::head) co_return node;
    auto lookup = detail::decoded_call<list_result<node_info>>(
        impl, core::head_node_request(), std::move(call),
        [](boost::json::value body) { return core::decode_state_list(std::move(body), &core::decode_node); });
    const auto heads = co_await std::move(lookup);
    if (heads.items.empty())
        throw client_error(error_kind::not_found, "the cluster reports no head node", "GET /api/v0/nodes");
    co_return node_selector::by_id(heads.items.front().node_id);
}

/// The target with its node resolved (workers and node files name one).
asio::awaitable<log_target> resolve_target(std::shared_ptr<client_impl> impl, log_target target, call_options call) {
    if (target.what() != log_target::kind::worker && target.what() != log_target::kind::node_file) co_return target;
    auto lookup = resolve_node(impl, target.node(), std::move(call));
    auto node = co_await std::move(lookup);
    if (target.what() == log_target::kind::worker) co_return log_target::worker(target.pid(), std::move(node));
    co_return log_target::node_file(target.filename(), std::move(node));
}

/// A job's driver node: the job must exist (404), be a submission (400) and have started (404).
asio::awaitable<job_details> log_job(client& ray, const std::shared_ptr<client_impl>& impl, const std::string& id,
                                     call_options call) {
    auto get = ray.get_job(id, std::move(call));
    auto job = co_await std::move(get);
    if (job.type == job_type::driver || !job.submission_id)
        throw client_error(error_kind::invalid_argument, core::job_log_target::driver_job_message(id, impl->secrets()));
    co_return job;
}

/// The rows of a state-API lookup by id (no row: an empty vector).
template <class T>
asio::awaitable<std::vector<T>> rows_by_id(const std::shared_ptr<client_impl>& impl, std::string_view route,
                                           std::string_view id_key, const std::string& id,
                                           T (*decode_row)(boost::json::value)) {
    auto lookup = detail::decoded_call<list_result<T>>(
        impl, core::state_get_request(route, id_key, id), {},
        [decode_row](boost::json::value body) { return core::decode_state_list(std::move(body), decode_row); });
    auto list = co_await std::move(lookup);
    co_return std::move(list.items);
}

client_error missing(const std::shared_ptr<client_impl>& impl, const std::string& what) {
    return client_error(error_kind::not_found, core::sanitize(what, impl->secrets(), 256));
}

/// What the follow starts from: the core target and what is known of it (404/400 before a stream).
struct follow_start {
    std::unique_ptr<core::log_target> target;
    core::target_state initial{};
};

asio::awaitable<follow_start> prepare_follow(client& ray, std::shared_ptr<client_impl> impl, log_target target,
                                             log_suffix suffix, bool check_by_opening) {
    follow_start start;
    switch (target.what()) {
        case log_target::kind::job: {
            if (check_by_opening) {
                // The WebSocket's upgrade checks the job (404 / 400), as client::tail_job_logs.
                start.target = std::make_unique<core::job_log_target>(target.id());
                start.initial = core::target_state{false, false};
                break;
            }
            auto check = log_job(ray, impl, target.id(), {});
            const auto job = co_await std::move(check);
            start.initial = core::job_log_target::state_of(job);
            start.target = std::make_unique<core::job_log_target>(job);
            break;
        }
        case log_target::kind::task: {
            auto lookup = rows_by_id(impl, "tasks", "task_id", target.id(), &core::decode_task);
            const auto rows = co_await std::move(lookup);
            auto task = std::make_unique<core::task_log_target>(target, suffix);
            const auto attempt = std::find_if(rows.begin(), rows.end(), [&](const task_info& row) {
                return row.attempt_number == target.attempt_number();
            });
            if (rows.empty()) throw missing(impl, "task " + target.id() + " not found");
            start.initial = task->state_of(rows);
            if (attempt == rows.end() && start.initial.finished)
                throw missing(impl,
                              "task " + target.id() + " has no attempt " + std::to_string(target.attempt_number()));
            const auto* log_info = attempt != rows.end() ? attempt->raw->if_contains("task_log_info") : nullptr;
            if (attempt != rows.end() && attempt->type == "ACTOR_TASK" && !(log_info && log_info->is_object())) {
                throw client_error(error_kind::invalid_argument,
                                   core::sanitize("task " + target.id() +
                                                      " is an actor task and has no log of its own: read the log of "
                                                      "its actor " +
                                                      attempt->actor_id.value_or("") +
                                                      " instead (log_target::actor), or have Ray record actor task "
                                                      "logs (RAY_ENABLE_RECORD_ACTOR_TASK_LOGGING=1)",
                                                  impl->secrets(), 512));
            }
            start.target = std::move(task);
            break;
        }
        case log_target::kind::actor: {
            auto lookup = rows_by_id(impl, "actors", "actor_id", target.id(), &core::decode_actor);
            const auto rows = co_await std::move(lookup);
            if (rows.empty()) throw missing(impl, "actor " + target.id() + " not found");
            start.initial = core::actor_log_target::state_of(rows);
            start.target = std::make_unique<core::actor_log_target>(target, suffix);
            break;
        }
        case log_target::kind::worker: {
            auto worker = std::make_unique<core::worker_log_target>(target, suffix);
            const auto request = worker->state_request();
            auto lookup = detail::decoded_call<list_result<worker_info>>(
                impl, request, {},
                [](boost::json::value body) { return core::decode_state_list(std::move(body), &core::decode_worker); });
            const auto rows = co_await std::move(lookup);
            if (rows.items.empty())
                throw missing(
                    impl, "no worker with pid " + std::to_string(target.pid()) + " on node " + target.node().value());
            start.initial = core::worker_log_target::state_of(rows.items);
            start.target = std::move(worker);
            break;
        }
        case log_target::kind::node_file:
            start.target = std::make_unique<core::node_file_log_target>(target);
            break;
    }
    co_return start;
}

}  // namespace

asio::awaitable<log_file_list> client::list_logs(node_selector node, std::string glob, call_options call) {
    core::validate_node_selector(node);
    core::validate_log_glob(glob);
    auto resolve = resolve_node(impl_, std::move(node), call);
    const auto resolved = co_await std::move(resolve);
    const auto request = core::list_logs_request(resolved, glob);
    std::optional<client_error> failure;
    std::string body;
    try {
        auto list = log_call(impl_, request, call);
        body = co_await std::move(list);
    } catch (const client_error& error) {
        failure = error;
    }
    if (failure) {
        // An unknown node id is a bare 500 from Ray (its agent does not exist): tell it apart.
        if (failure->http_status() == 500 && resolved.how() == node_selector::kind::id) {
            auto lookup = rows_by_id(impl_, "nodes", "node_id", resolved.value(), &core::decode_node);
            const auto rows = co_await std::move(lookup);
            if (rows.empty()) throw missing(impl_, "node " + resolved.value() + " not found");
        }
        throw *failure;
    }
    auto list = core::decode_log_file_list(core::parse_json_body(request, body, impl_->secrets()));
    (resolved.how() == node_selector::kind::ip ? list.node_ip : list.node_id) = resolved.value();
    co_return list;
}

asio::awaitable<std::string> client::get_log(log_target target, log_options options, call_options call) {
    core::validate_log_target(target);
    core::validate_log_options(target, options);
    core::validate_call_options(call);
    std::string driver_node;
    if (target.what() == log_target::kind::job) {
        auto check = log_job(*this, impl_, target.id(), call);
        const auto job = co_await std::move(check);
        if (!job.driver_node_id)
            throw missing(impl_, "job " + target.id() + " has not started yet: it has no driver log");
        driver_node = *job.driver_node_id;
    }
    auto resolve = resolve_target(impl_, std::move(target), call);
    const auto resolved = co_await std::move(resolve);
    auto request = core::log_file_request(resolved, options, driver_node);
    auto framing = log_framing_of_server(impl_);
    request.framed_log_body = co_await std::move(framing) == core::log_framing::leading_byte;
    auto read = log_call(impl_, std::move(request), call);
    std::string text;
    std::optional<client_error> refused;
    try {
        text = co_await std::move(read);
    } catch (const client_error& error) {
        // Only Ray's unexplained 500: a 500 that names its cause is already mapped (404, 400).
        if (resolved.what() != log_target::kind::task || error.status() != 500 || error.http_status() != 500) throw;
        refused = error;
    }
    if (refused) {
        // Ray 2.45.0 answers the read of a finished task's empty log (its byte range is empty, or
        // Ray recorded no file) with a bare 500; 2.60 answers an empty 200. The task's own record
        // tells which: only then is the answer the empty log. (A co_await cannot sit in a catch.)
        auto lookup = rows_by_id(impl_, "tasks", "task_id", resolved.id(), &core::decode_task);
        const auto rows = co_await std::move(lookup);
        if (!core::task_log_target(resolved, options.suffix).has_finished_empty_log(rows)) throw *refused;
        co_return std::string{};
    }
    if (text.empty() && resolved.what() == log_target::kind::node_file) {
        // Ray answers a missing file now with its error, now with an empty 200, as for an empty
        // file (seen on 2.9.3 by hand and on 2.60 in a CI run): the node's file list tells.
        auto list = list_logs(resolved.node(), resolved.filename(), std::move(call));
        const auto files = (co_await std::move(list)).files();
        const auto& name = resolved.filename();
        if (std::none_of(files.begin(), files.end(),
                         [&](const std::string& file) { return file == name || file.ends_with("/" + name); }))
            throw missing(impl_, "A file is not found: " + name + " on node " + resolved.node().value());
    }
    co_return text;
}

asio::awaitable<log_stream> client::follow_log(log_target target, log_options options, tail_options tail) {
    core::validate_log_target(target);
    core::validate_log_options(target, options);
    if (target.what() != log_target::kind::job && tail.protocol == tail_protocol::websocket)
        throw client_error(error_kind::invalid_argument, "only a job's log has a WebSocket tail");
    if (target.what() != log_target::kind::job) tail.protocol = tail_protocol::stream;
    auto settings = detail::tail_settings_for(tail, impl_->options());
    settings.filter_ansi_codes = options.filter_ansi_code;
    auto impl = impl_;
    auto resolve = resolve_target(impl, std::move(target), {});
    auto resolved = co_await std::move(resolve);
    // A job's WebSocket opens at once, its upgrade the check, unless the start of the last lines
    // must be read first (a GET anyway).
    const bool check_by_opening = tail.protocol != tail_protocol::stream && options.lines == -1;
    auto prepare = prepare_follow(*this, impl, std::move(resolved), options.suffix, check_by_opening);
    auto start = co_await std::move(prepare);
    if (tail.protocol != tail_protocol::websocket) {
        // The framing of the stream and of the static log depends on the release.
        auto framing = log_framing_of_server(impl);
        settings.stream_framing = co_await std::move(framing);
        start.target->use_framing(settings.stream_framing);
    }
    if (options.lines != -1) {
        // Ray's `lines` would start each connection somewhere else: find the start of the last
        // N lines in the whole log once, and have every connection replay from byte 0 past it.
        const core::log_target& whole = *start.target;
        auto read = impl->run<std::string>(
            whole.static_log_request(), {},
            [impl, &whole](const core::request_spec& spec, const request_result& result) {
                if (auto error =
                        whole.classify_refusal(spec, result.response.status, result.response.body, impl->secrets()))
                    throw *error;
                return whole.static_log_text(spec, result.response.body, result.response.chunk_starts, impl->secrets());
            });
        const auto text = co_await std::move(read);
        settings.start_offset = core::start_of_last_lines(text, static_cast<std::uint64_t>(options.lines));
    }
    if (check_by_opening) {
        auto open = detail::start_tail_once_open(impl, std::move(start.target), settings, start.initial);
        co_return co_await std::move(open);
    }
    co_return detail::start_tail(impl, std::move(start.target), settings, start.initial);
}

}  // namespace raycl
