// The state API beyond nodes, tasks and actors (objects, placement groups, workers, runtime
// envs, cluster events, jobs), its summaries, and the cluster status. Each builds its request
// (pure, validating: 400 before any I/O), runs it on a strand with retries and decodes the answer.
#include "client/operation_helpers.hpp"

#include "core/state_json.hpp"
#include "core/state_resources.hpp"

namespace raycl {

namespace asio = boost::asio;

namespace {

using detail::decoded_call;
using detail::get_state_row;
using detail::get_state_rows;
using detail::list_state;
using detail::state_resource;

const state_resource<object_info> objects{"object", "objects", "object_id", &core::decode_object};
const state_resource<placement_group_info> placement_groups{"placement group", "placement_groups", "placement_group_id",
                                                            &core::decode_placement_group};
const state_resource<worker_info> workers{"worker", "workers", "worker_id", &core::decode_worker};
const state_resource<runtime_env_info> runtime_envs{"runtime env", "runtime_envs", "", &core::decode_runtime_env};
const state_resource<cluster_event_info> cluster_events{"cluster event", "cluster_events", "event_id",
                                                        &core::decode_cluster_event};
const state_resource<job_details> state_jobs{"job", "jobs", "submission_id", &core::decode_job_details};

/// A summary: the request, then its decoder; the result knows whether it was filtered.
template <class T>
asio::awaitable<T> summarize(const std::shared_ptr<detail::client_impl>& impl, std::string_view resource,
                             const summary_options& options, std::optional<task_summary_by> by, call_options call,
                             T (*decode)(boost::json::value)) {
    return decoded_call<T>(impl, core::state_summary_request(resource, options, by), std::move(call),
                           [decode, filtered = !options.filters.empty()](boost::json::value body) {
                               T summary = decode(std::move(body));
                               summary.filtered = filtered;
                               return summary;
                           });
}

}  // namespace

asio::awaitable<list_result<object_info>> client::list_objects(list_options options, call_options call) {
    auto operation = list_state(impl_, objects, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<std::vector<object_info>> client::get_object(std::string id, call_options call) {
    auto operation = get_state_rows(impl_, objects, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<placement_group_info>> client::list_placement_groups(list_options options,
                                                                                 call_options call) {
    auto operation = list_state(impl_, placement_groups, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<placement_group_info> client::get_placement_group(std::string id, call_options call) {
    auto operation = get_state_row(impl_, placement_groups, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<worker_info>> client::list_workers(list_options options, call_options call) {
    auto operation = list_state(impl_, workers, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<worker_info> client::get_worker(std::string id, call_options call) {
    auto operation = get_state_row(impl_, workers, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<runtime_env_info>> client::list_runtime_envs(list_options options, call_options call) {
    auto operation = list_state(impl_, runtime_envs, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<cluster_event_info>> client::list_cluster_events(list_options options, call_options call) {
    auto operation = list_state(impl_, cluster_events, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<cluster_event_info> client::get_cluster_event(std::string id, call_options call) {
    auto operation = get_state_row(impl_, cluster_events, std::move(id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<list_result<job_details>> client::list_state_jobs(list_options options, call_options call) {
    auto operation = list_state(impl_, state_jobs, options, std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<job_details> client::get_state_job(std::string submission_id, call_options call) {
    auto operation = get_state_row(impl_, state_jobs, std::move(submission_id), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<task_summary> client::summarize_tasks(task_summary_by by, summary_options options, call_options call) {
    auto operation = summarize(impl_, "tasks", options, by, std::move(call), &core::decode_task_summary);
    co_return co_await std::move(operation);
}

asio::awaitable<actor_summary> client::summarize_actors(summary_options options, call_options call) {
    auto operation = summarize(impl_, "actors", options, std::nullopt, std::move(call), &core::decode_actor_summary);
    co_return co_await std::move(operation);
}

asio::awaitable<object_summary> client::summarize_objects(summary_options options, call_options call) {
    auto operation = summarize(impl_, "objects", options, std::nullopt, std::move(call), &core::decode_object_summary);
    co_return co_await std::move(operation);
}

asio::awaitable<raycl::cluster_status> client::get_cluster_status(call_options call) {
    auto text_call = decoded_call<std::string>(
        impl_, core::cluster_status_request(true), call,
        [](const boost::json::value& body) { return core::decode_cluster_status_text(body); });
    raycl::cluster_status status;
    status.text = co_await std::move(text_call);
    auto structured_call = decoded_call<raycl::cluster_status>(
        impl_, core::cluster_status_request(false), std::move(call), [](boost::json::value body) {
            raycl::cluster_status structured;
            core::decode_cluster_status(std::move(body), structured);
            return structured;
        });
    auto structured = co_await std::move(structured_call);
    structured.text = std::move(status.text);
    co_return structured;
}

}  // namespace raycl
