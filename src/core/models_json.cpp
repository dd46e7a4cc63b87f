#include "core/models_json.hpp"

#include "core/json_reader.hpp"
#include "core/record_decoder.hpp"
#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <algorithm>

namespace raycl::core {
namespace json = boost::json;
namespace {

serve_deployment decode_serve_deployment(const json::value& value, std::string_view key) {
    object_reader fields(value, "Serve deployment '" + sanitize(key, {}, 128) + "'");
    serve_deployment deployment;
    deployment.name = fields.optional_string("name").value_or(std::string(key));
    deployment.status = fields.string_or_empty("status");
    deployment.status_trigger = fields.string_or_empty("status_trigger");
    deployment.message = fields.string_or_empty("message");
    if (const json::array* replicas = fields.array_field("replicas")) deployment.replica_count = replicas->size();
    deployment.raw = fields.object();
    return deployment;
}

serve_application decode_serve_application(const json::value& value, std::string_view key) {
    object_reader fields(value, "Serve application '" + sanitize(key, {}, 128) + "'");
    serve_application app;
    app.name = fields.optional_string("name").value_or(std::string(key));
    app.route_prefix = fields.optional_string("route_prefix");
    app.docs_path = fields.optional_string("docs_path");
    app.status_text = fields.string_or_empty("status");
    app.status = parse_serve_app_status(app.status_text);
    app.message = fields.string_or_empty("message");
    app.last_deployed_time_s = fields.optional_number("last_deployed_time_s");
    if (const json::object* config = fields.object_field("deployed_app_config")) app.deployed_app_config = *config;
    // Ray before 2.39 sends no source: an application has a deployed config exactly when it
    // was deployed declaratively (ApplicationDetails.deployed_app_config: null for serve.run).
    app.source = fields.optional_string("source").value_or(app.deployed_app_config ? "declarative" : "imperative");
    if (const json::object* deployments = fields.object_field("deployments")) {
        for (const auto& entry : *deployments)
            app.deployments.push_back(decode_serve_deployment(entry.value(), entry.key()));
    }
    std::sort(app.deployments.begin(), app.deployments.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    app.raw = fields.object();
    return app;
}

}  // namespace

version_info decode_version(const json::value& body) {
    object_reader fields(body, "version info");
    version_info info;
    info.version = fields.required_string("version");
    info.ray_version = fields.string_or_empty("ray_version");
    info.ray_commit = fields.string_or_empty("ray_commit");
    info.session_name = fields.string_or_empty("session_name");
    info.raw = fields.object();
    return info;
}

job_details decode_job_details(json::value body) {
    json::object& object = const_cast<json::object&>(json_object_of(body, "job details"));
    job_details job;
    decode_job_fields(object, job);  // the field table of core/record_decoder.cpp
    job.raw = std::move(object);
    return job;
}

std::vector<job_details> decode_job_list(json::value body) {
    json::array* rows = body.if_array();
    if (!rows) json_protocol_failure("the job list must be an array, got " + std::string(json_kind_name(body.kind())));
    std::vector<job_details> jobs;
    jobs.reserve(rows->size());
    for (json::value& row : *rows) jobs.push_back(decode_job_details(std::move(row)));
    return jobs;
}

std::string decode_job_logs(const json::value& body) {
    return object_reader(body, "job logs").required_string("logs");
}

bool decode_stopped(const json::value& body) {
    return object_reader(body, "stop response").required_bool("stopped");
}

bool decode_deleted(const json::value& body) {
    return object_reader(body, "delete response").required_bool("deleted");
}

std::string decode_submission_id(const json::value& body) {
    object_reader fields(body, "submit response");
    // Servers before Ray 2.0 answered with `job_id` only, holding the submission id.
    if (auto id = fields.optional_string("submission_id")) return *id;
    if (auto id = fields.optional_string("job_id")) return *id;
    fields.fail("submission_id", "is missing");
}

node_info decode_node(json::value row) {
    object_reader fields(row, "node");
    node_info node;
    node.node_id = fields.required_string("node_id");
    node.node_ip = fields.string_or_empty("node_ip");
    node.is_head_node = fields.optional_bool("is_head_node").value_or(false);
    node.state = fields.string_or_empty("state");
    node.state_message = fields.string_or_empty("state_message");
    node.node_name = fields.string_or_empty("node_name");
    node.resources_total = fields.number_map("resources_total");
    node.labels = fields.string_map("labels");
    node.start_time_ms = fields.optional_int("start_time_ms");
    node.end_time_ms = fields.optional_int("end_time_ms");
    node.raw = std::move(row.get_object());  // the last use of `fields`
    return node;
}

task_info decode_task(json::value row) {
    json::object& object = const_cast<json::object&>(json_object_of(row, "task"));
    task_info task;
    decode_task_fields(object, task);  // the field table of core/record_decoder.cpp
    task.raw = std::move(object);
    return task;
}

actor_info decode_actor(json::value row) {
    object_reader fields(row, "actor");
    actor_info actor;
    actor.actor_id = fields.required_string("actor_id");
    actor.class_name = fields.string_or_empty("class_name");
    actor.state = fields.string_or_empty("state");
    actor.job_id = fields.string_or_empty("job_id");
    actor.name = fields.optional_string("name");
    actor.node_id = fields.optional_string("node_id");
    actor.pid = fields.optional_int("pid");
    actor.ray_namespace = fields.optional_string("ray_namespace");
    actor.num_restarts = fields.optional_int("num_restarts");
    actor.raw = std::move(row.get_object());  // the last use of `fields`
    return actor;
}

void fill_list_counts(list_counts& counts, std::optional<std::int64_t> total,
                      std::optional<std::int64_t> num_after_truncation, std::optional<std::int64_t> num_filtered,
                      std::int64_t rows, bool is_list) {
    // Older servers omit some counters: fall back to "nothing was cut".
    counts.total = total.value_or(rows);
    counts.num_after_truncation = num_after_truncation.value_or(counts.total);
    counts.num_filtered = num_filtered.value_or(rows);
    // A summary (an object, not rows) covers every filtered row.
    counts.returned = is_list ? rows : counts.num_filtered;
}

json::value& state_envelope_result(json::value& body, list_counts& counts) {
    object_reader envelope(body, "state API response");
    if (auto ok = envelope.optional_bool("result"); ok && !*ok) {
        std::string msg = sanitize(envelope.string_or_empty("msg"), {}, 512);
        throw client_error(error_kind::server_error,
                           "the state API query failed" + (msg.empty() ? std::string() : ": " + msg));
    }
    object_reader data(envelope.required("data"), "state API data");
    object_reader result(data.required("result"), "state API result");
    const json::value& inner = result.required("result");
    auto total = result.optional_int("total");
    auto num_after_truncation = result.optional_int("num_after_truncation");
    auto num_filtered = result.optional_int("num_filtered");
    fill_list_counts(counts, total, num_after_truncation, num_filtered,
                     static_cast<std::int64_t>(inner.is_array() ? inner.get_array().size() : 0), inner.is_array());
    counts.partial_failure_warning = result.string_or_empty("partial_failure_warning");
    counts.warnings = result.string_list("warnings");
    // `body` is the caller's own value, only viewed as const by the readers: the result is handed
    // out mutable so that rows can be moved into their decoders instead of deep-copied.
    return const_cast<json::value&>(inner);
}

json::array& state_list_rows(json::value& body, list_counts& counts) {
    json::value& rows = state_envelope_result(body, counts);
    if (!rows.is_array())
        json_protocol_failure("field 'result' of state API result must be an array, got " +
                              std::string(json_kind_name(rows.kind())));
    return rows.get_array();
}

serve_instance decode_serve_instance(const json::value& body) {
    object_reader fields(body, "Serve instance details");
    serve_instance instance;
    if (const json::object* apps = fields.object_field("applications")) {
        for (const auto& entry : *apps)
            instance.applications.push_back(decode_serve_application(entry.value(), entry.key()));
    }
    std::sort(instance.applications.begin(), instance.applications.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    instance.proxy_location = fields.optional_string("proxy_location");
    if (const json::object* http = fields.object_field("http_options")) instance.http_options = *http;
    if (const json::object* controller = fields.object_field("controller_info")) instance.controller_info = *controller;
    instance.raw = fields.object();
    return instance;
}

json::object encode_submission(const job_submission& submission, std::string_view submission_id) {
    json::object body;
    body["entrypoint"] = submission.entrypoint;
    body["submission_id"] = submission_id;
    if (submission.runtime_env) body["runtime_env"] = *submission.runtime_env;
    if (submission.metadata) {
        json::object metadata;
        for (const auto& [key, value] : *submission.metadata) metadata[key] = value;
        body["metadata"] = std::move(metadata);
    }
    if (submission.entrypoint_num_cpus) body["entrypoint_num_cpus"] = *submission.entrypoint_num_cpus;
    if (submission.entrypoint_num_gpus) body["entrypoint_num_gpus"] = *submission.entrypoint_num_gpus;
    if (submission.entrypoint_memory) body["entrypoint_memory"] = *submission.entrypoint_memory;
    if (submission.entrypoint_resources) {
        json::object resources;
        for (const auto& [name, amount] : *submission.entrypoint_resources) resources[name] = amount;
        body["entrypoint_resources"] = std::move(resources);
    }
    if (submission.entrypoint_label_selector) {
        json::object labels;
        for (const auto& [key, value] : *submission.entrypoint_label_selector) labels[key] = value;
        body["entrypoint_label_selector"] = std::move(labels);
    }
    return body;
}

serve_instance only_deployed_as(serve_instance instance, serve_api_type type) {
    const std::string_view source = to_string(type);
    auto& apps = instance.applications;
    apps.erase(
        std::remove_if(apps.begin(), apps.end(), [&](const serve_application& app) { return app.source != source; }),
        apps.end());
    if (auto* raw_apps = instance.raw->if_contains("applications"); raw_apps && raw_apps->is_object()) {
        json::object kept;
        for (const auto& app : apps) {
            if (auto it = raw_apps->get_object().find(app.name); it != raw_apps->get_object().end())
                kept[it->key()] = it->value();
        }
        json::object raw = instance.raw.get();  // raw is read-only (shared): edit a copy
        raw["applications"] = std::move(kept);
        instance.raw = std::move(raw);
    }
    return instance;
}

json::object serve_config_without(const serve_instance& instance, std::string_view app_name) {
    std::string quoted = "'" + sanitize(app_name, {}, 256) + "'";
    const serve_application* target = instance.find(app_name);
    if (!target) throw client_error(error_kind::not_found, "Serve application " + quoted + " does not exist");
    if (target->source != "declarative")
        throw client_error(error_kind::invalid_argument,
                           "Serve application " + quoted +
                               " was not deployed declaratively (source: " + sanitize(target->source, {}, 64) +
                               "); only declaratively deployed applications can be deleted one by one");

    // Applications missing from the PUT are deleted: every other declarative app must be kept.
    json::array applications;
    for (const serve_application& app : instance.applications) {
        if (app.name == app_name || app.source != "declarative") continue;
        if (!app.deployed_app_config)
            throw client_error(error_kind::protocol_error,
                               "Serve application '" + sanitize(app.name, {}, 256) +
                                   "' is declarative but has no deployed_app_config; refusing to "
                                   "write a config that would delete it");
        applications.push_back(*app.deployed_app_config);
    }

    json::object config;
    config["applications"] = std::move(applications);
    if (instance.proxy_location) config["proxy_location"] = *instance.proxy_location;
    // A config accepts only these keys of the instance's http_options.
    json::object http_options;
    for (std::string_view key : {"host", "port", "root_path", "request_timeout_s", "keep_alive_timeout_s"}) {
        auto it = instance.http_options.find(key);
        if (it != instance.http_options.end() && !it->value().is_null()) http_options[key] = it->value();
    }
    if (!http_options.empty()) config["http_options"] = std::move(http_options);
    return config;
}

}  // namespace raycl::core
