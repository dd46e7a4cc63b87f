#include "core/state_json.hpp"

#include "core/json_reader.hpp"
#include "core/models_json.hpp"
#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <algorithm>
#include <unordered_map>

namespace raycl::core {
namespace json = boost::json;
namespace {

/// Fails like the state list decoders when Ray's envelope says `result: false`.
void check_envelope(const object_reader& envelope) {
    if (auto ok = envelope.optional_bool("result"); ok && !*ok) {
        std::string msg = sanitize(envelope.string_or_empty("msg"), {}, 512);
        throw client_error(error_kind::server_error, "the query failed" + (msg.empty() ? std::string() : ": " + msg));
    }
}

/// The `cluster` summary of a summary envelope, and the envelope's counters.
const json::object& cluster_summary(json::value& body, list_counts& counts) {
    object_reader result(state_envelope_result(body, counts), "summary result");
    object_reader nodes(result.required("node_id_to_summary"), "node_id_to_summary");
    return json_object_of(nodes.required("cluster"), "cluster summary");
}

task_lineage_node decode_lineage_node(const json::value& value) {
    object_reader fields(value, "lineage summary entry");
    task_lineage_node node;
    node.name = fields.string_or_empty("name");
    node.key = fields.string_or_empty("key");
    node.type = fields.string_or_empty("type");
    node.timestamp = fields.optional_int("timestamp");
    node.state_counts = fields.int_map("state_counts");
    if (const json::object* link = fields.object_field("link")) {
        object_reader link_fields(*link, "lineage link");
        node.link_type = link_fields.string_or_empty("type");
        node.link_id = link_fields.string_or_empty("id");
    }
    if (const json::array* children = fields.array_field("children")) {
        node.children.reserve(children->size());
        for (const json::value& child : *children) node.children.push_back(decode_lineage_node(child));
    }
    return node;
}

/// [used, total] of a usage entry.
resource_usage decode_usage(const json::value& value, std::string_view what) {
    const json::array* pair = value.if_array();
    std::optional<double> used, total;
    if (pair && pair->size() == 2) {
        used = json_to_double((*pair)[0]);
        total = json_to_double((*pair)[1]);
    }
    if (!used || !total) json_protocol_failure(std::string(what) + " must be [used, total]");
    return {*used, *total};
}

/// Restores names Ray camelCased: the originals are taken from `originals`, keyed by their
/// camelCase form; a name not found there stays as it came.
class name_restorer {
public:
    void add(std::string_view original) { originals_.emplace(ray_camel_case(original), std::string(original)); }
    std::string operator()(std::string_view name) const {
        auto it = originals_.find(std::string(name));
        return it == originals_.end() ? std::string(name) : it->second;
    }

private:
    std::unordered_map<std::string, std::string> originals_;
};

std::map<std::string, resource_usage> decode_usage_map(const json::object& usage, const name_restorer& restore) {
    std::map<std::string, resource_usage> out;
    for (const auto& entry : usage)
        out.emplace(restore(entry.key()), decode_usage(entry.value(), "a resource usage entry"));
    return out;
}

std::map<std::string, std::int64_t> restored_counts(const object_reader& fields, std::string_view key,
                                                    const name_restorer& restore) {
    std::map<std::string, std::int64_t> out;
    for (auto& [name, count] : fields.int_map(key)) out.emplace(restore(name), count);
    return out;
}

autoscaler_report decode_report(const json::value& value) {
    object_reader fields(value, "clusterStatus");
    autoscaler_report report;
    report.time = fields.optional_number("time");
    report.gcs_request_time = fields.optional_number("gcsRequestTime");
    report.autoscaler_update_time = fields.optional_number("autoscalerUpdateTime");
    report.non_terminated_nodes_time = fields.optional_number("nonTerminatedNodesTime");
    report.monitor_pid = fields.optional_int("monitorPid");

    // Resource names survive unconverted inside the lists of `nodeTypes` (to_google_style does
    // not descend into lists of lists), node-type names in the values of `nodeTypeMapping`.
    name_restorer restore;
    for (std::string_view known : {"CPU", "GPU", "memory", "object_store_memory", "node:__internal_head__"})
        restore.add(known);
    const json::object* autoscaler = fields.object_field("autoscalerReport");
    const json::object* load = fields.object_field("loadMetricsReport");
    if (load) {
        object_reader load_fields(*load, "loadMetricsReport");
        if (const json::array* node_types = load_fields.array_field("nodeTypes")) {
            for (const json::value& entry : *node_types) {
                const json::array* pair = entry.if_array();
                const json::object* resources = pair && !pair->empty() ? (*pair)[0].if_object() : nullptr;
                if (!resources) json_protocol_failure("loadMetricsReport.nodeTypes must hold [resources, count] pairs");
                for (const auto& resource : *resources) restore.add(resource.key());
            }
        }
    }
    if (autoscaler) {
        object_reader report_fields(*autoscaler, "autoscalerReport");
        for (const auto& [id, type] : report_fields.string_map("nodeTypeMapping")) restore.add(type);
        report.active_nodes = restored_counts(report_fields, "activeNodes", restore);
        report.idle_nodes = restored_counts(report_fields, "idleNodes", restore);
        report.pending_launches = restored_counts(report_fields, "pendingLaunches", restore);
        if (const json::array* pending = report_fields.array_field("pendingNodes"))
            report.pending_node_count = pending->size();
        if (const json::array* failed = report_fields.array_field("failedNodes"))
            report.failed_node_count = failed->size();
    }
    if (load) {
        object_reader load_fields(*load, "loadMetricsReport");
        if (const json::object* usage = load_fields.object_field("usage"))
            report.usage = decode_usage_map(*usage, restore);
        if (const json::object* by_node = load_fields.object_field("usageByNode")) {
            for (const auto& node : *by_node)
                report.usage_by_node.emplace(node.key(),
                                             decode_usage_map(json_object_of(node.value(), "a node's usage"), restore));
        }
        report.head_ip = load_fields.optional_string("headIp");
    }
    report.raw = fields.object();
    return report;
}

}  // namespace

std::string ray_camel_case(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    bool first_part = true;
    for (std::size_t begin = 0; begin <= name.size();) {
        const std::size_t end = std::min(name.find('_', begin), name.size());
        const std::string_view part = name.substr(begin, end - begin);
        if (first_part) {
            out.append(part);
        } else {
            // str.title(): a letter after a letter is lower case, any other letter upper case.
            bool after_letter = false;
            for (char c : part) {
                const bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
                if (upper || lower) {
                    out.push_back(after_letter ? (upper ? static_cast<char>(c - 'A' + 'a') : c)
                                               : (lower ? static_cast<char>(c - 'a' + 'A') : c));
                    after_letter = true;
                } else {
                    out.push_back(c);
                    after_letter = false;
                }
            }
        }
        first_part = false;
        if (end == name.size()) break;
        begin = end + 1;
    }
    return out;
}

object_info decode_object(json::value row) {
    object_reader fields(row, "object");
    object_info object;
    object.object_id = fields.required_string("object_id");
    object.object_size = fields.optional_int("object_size");
    object.task_status = fields.string_or_empty("task_status");
    object.attempt_number = fields.optional_int("attempt_number");
    object.reference_type = fields.string_or_empty("reference_type");
    object.call_site = fields.string_or_empty("call_site");
    object.type = fields.string_or_empty("type");
    object.pid = fields.optional_int("pid");
    object.ip = fields.string_or_empty("ip");
    object.raw = std::move(row.get_object());  // the last use of `fields`
    return object;
}

placement_group_info decode_placement_group(json::value row) {
    object_reader fields(row, "placement group");
    placement_group_info group;
    group.placement_group_id = fields.required_string("placement_group_id");
    group.name = fields.string_or_empty("name");
    group.creator_job_id = fields.string_or_empty("creator_job_id");
    group.state = fields.string_or_empty("state");
    group.is_detached = fields.optional_bool("is_detached");
    if (const json::array* bundles = fields.array_field("bundles")) group.bundle_count = bundles->size();
    group.raw = std::move(row.get_object());  // the last use of `fields`
    return group;
}

worker_info decode_worker(json::value row) {
    object_reader fields(row, "worker");
    worker_info worker;
    worker.worker_id = fields.required_string("worker_id");
    worker.is_alive = fields.optional_bool("is_alive").value_or(false);
    worker.worker_type = fields.string_or_empty("worker_type");
    worker.exit_type = fields.optional_string("exit_type");
    worker.node_id = fields.string_or_empty("node_id");
    worker.ip = fields.string_or_empty("ip");
    worker.pid = fields.optional_int("pid");
    worker.exit_detail = fields.optional_string("exit_detail");
    // worker_launch_time_ms is 2^64-1 for drivers in Ray 2.60: left to `raw`.
    worker.start_time_ms = fields.optional_int("start_time_ms");
    worker.end_time_ms = fields.optional_int("end_time_ms");
    worker.raw = std::move(row.get_object());  // the last use of `fields`
    return worker;
}

runtime_env_info decode_runtime_env(json::value row) {
    object_reader fields(row, "runtime env");
    runtime_env_info env;
    if (const json::object* spec = fields.object_field("runtime_env")) env.runtime_env = *spec;
    env.success = fields.optional_bool("success").value_or(false);
    env.creation_time_ms = fields.optional_int("creation_time_ms");
    env.node_id = fields.string_or_empty("node_id");
    env.ref_cnt = fields.optional_int("ref_cnt");
    env.error = fields.optional_string("error");
    env.raw = std::move(row.get_object());  // the last use of `fields`
    return env;
}

cluster_event_info decode_cluster_event(json::value row) {
    object_reader fields(row, "cluster event");
    cluster_event_info event;
    event.event_id = fields.required_string("event_id");
    event.severity = fields.string_or_empty("severity");
    event.time = fields.string_or_empty("time");
    event.source_type = fields.string_or_empty("source_type");
    event.message = fields.string_or_empty("message");
    if (const json::object* custom = fields.object_field("custom_fields")) {
        for (const auto& entry : *custom)
            if (entry.value().is_string()) event.custom_fields.emplace(entry.key(), entry.value().get_string());
    }
    event.raw = std::move(row.get_object());  // the last use of `fields`
    return event;
}

task_summary decode_task_summary(json::value body) {
    task_summary summary;
    const json::object& cluster = cluster_summary(body, summary);
    object_reader fields(cluster, "task summary");
    summary.summary_by = fields.string_or_empty("summary_by");
    const json::value& groups = fields.required("summary");
    if (const json::array* lineage = groups.if_array()) {
        summary.lineage.reserve(lineage->size());
        for (const json::value& node : *lineage) summary.lineage.push_back(decode_lineage_node(node));
    } else {
        for (const auto& entry : json_object_of(groups, "task summary groups")) {
            object_reader group_fields(entry.value(), "task summary group");
            task_summary_group group;
            group.key = entry.key();
            group.func_or_class_name = group_fields.string_or_empty("func_or_class_name");
            group.type = group_fields.string_or_empty("type");
            group.state_counts = group_fields.int_map("state_counts");
            summary.groups.push_back(std::move(group));
        }
        std::sort(summary.groups.begin(), summary.groups.end(),
                  [](const auto& a, const auto& b) { return a.key < b.key; });
    }
    summary.total_tasks = fields.optional_int("total_tasks").value_or(0);
    summary.total_actor_tasks = fields.optional_int("total_actor_tasks").value_or(0);
    summary.total_actor_scheduled = fields.optional_int("total_actor_scheduled").value_or(0);
    summary.raw = cluster;
    return summary;
}

actor_summary decode_actor_summary(json::value body) {
    actor_summary summary;
    const json::object& cluster = cluster_summary(body, summary);
    object_reader fields(cluster, "actor summary");
    for (const auto& entry : json_object_of(fields.required("summary"), "actor summary groups")) {
        object_reader group_fields(entry.value(), "actor summary group");
        actor_summary_group group;
        group.class_name = group_fields.optional_string("class_name").value_or(std::string(entry.key()));
        group.state_counts = group_fields.int_map("state_counts");
        summary.groups.push_back(std::move(group));
    }
    std::sort(summary.groups.begin(), summary.groups.end(),
              [](const auto& a, const auto& b) { return a.class_name < b.class_name; });
    summary.total_actors = fields.optional_int("total_actors").value_or(0);
    summary.raw = cluster;
    return summary;
}

object_summary decode_object_summary(json::value body) {
    object_summary summary;
    const json::object& cluster = cluster_summary(body, summary);
    object_reader fields(cluster, "object summary");
    for (const auto& entry : json_object_of(fields.required("summary"), "object summary groups")) {
        object_reader group_fields(entry.value(), "object summary group");
        object_summary_group group;
        group.call_site = entry.key();
        group.total_objects = group_fields.optional_int("total_objects").value_or(0);
        group.total_size_mb = group_fields.optional_number("total_size_mb").value_or(0);
        group.total_num_workers = group_fields.optional_int("total_num_workers").value_or(0);
        group.total_num_nodes = group_fields.optional_int("total_num_nodes").value_or(0);
        group.task_state_counts = group_fields.int_map("task_state_counts");
        group.task_attempt_number_counts = group_fields.int_map("task_attempt_number_counts");
        group.ref_type_counts = group_fields.int_map("ref_type_counts");
        summary.groups.push_back(std::move(group));
    }
    std::sort(summary.groups.begin(), summary.groups.end(),
              [](const auto& a, const auto& b) { return a.call_site < b.call_site; });
    summary.total_objects = fields.optional_int("total_objects").value_or(0);
    summary.total_size_mb = fields.optional_number("total_size_mb").value_or(0);
    summary.callsite_enabled = fields.optional_bool("callsite_enabled").value_or(false);
    summary.raw = cluster;
    return summary;
}

std::string decode_cluster_status_text(const json::value& body) {
    object_reader envelope(body, "cluster status");
    check_envelope(envelope);
    return object_reader(envelope.required("data"), "cluster status data").required_string("clusterStatus");
}

void decode_cluster_status(json::value body, cluster_status& status) {
    object_reader envelope(body, "cluster status");
    check_envelope(envelope);
    object_reader data(envelope.required("data"), "cluster status data");
    status.autoscaling_status = data.optional_string("autoscalingStatus");
    status.autoscaling_error = data.optional_string("autoscalingError");
    if (const json::value* report = data.find("clusterStatus")) status.report = decode_report(*report);
    status.raw = data.object();
}

log_file_list decode_log_file_list(json::value body) {
    object_reader envelope(body, "log file list");
    check_envelope(envelope);
    object_reader data(envelope.required("data"), "log file list data");
    object_reader result(data.required("result"), "log file list result");
    log_file_list list;
    for (const auto& entry : result.object()) {
        if (entry.value().is_null()) continue;
        list.categories.emplace(entry.key(), result.string_list(entry.key()));
    }
    list.raw = result.object();
    return list;
}

}  // namespace raycl::core
