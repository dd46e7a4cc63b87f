// The views of `raycl list|get|summary|status|logs` (see state_views.hpp).
#include "state_views.hpp"

#include "text.hpp"

#include "core/yaml_json.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

namespace raycl::cli {
namespace {

namespace json = boost::json;

// Ray 2.60's default columns (util/state/common.py, each schema's list_columns(detail=False)).
constexpr std::array<std::string_view, 8> actor_columns{"actor_id", "class_name", "state", "job_id",
                                                        "name",     "node_id",    "pid",   "ray_namespace"};
constexpr std::array<std::string_view, 8> job_columns{"job_id", "submission_id", "entrypoint", "type",
                                                      "status", "message",       "error_type", "driver_info"};
constexpr std::array<std::string_view, 4> placement_group_columns{"placement_group_id", "name", "creator_job_id",
                                                                  "state"};
constexpr std::array<std::string_view, 8> node_columns{"node_id",       "node_ip",   "is_head_node",    "state",
                                                       "state_message", "node_name", "resources_total", "labels"};
constexpr std::array<std::string_view, 7> worker_columns{"worker_id", "is_alive", "worker_type", "exit_type",
                                                         "node_id",   "ip",       "pid"};
constexpr std::array<std::string_view, 13> task_columns{
    "task_id",   "attempt_number",     "name",           "state",   "job_id",    "actor_id",
    "type",      "func_or_class_name", "parent_task_id", "node_id", "worker_id", "worker_pid",
    "error_type"};
constexpr std::array<std::string_view, 9> object_columns{
    "object_id", "object_size", "task_status", "attempt_number", "reference_type", "call_site", "type", "pid", "ip"};
constexpr std::array<std::string_view, 4> runtime_env_columns{"runtime_env", "success", "creation_time_ms", "node_id"};
constexpr std::array<std::string_view, 5> cluster_event_columns{"severity", "time", "source_type", "message",
                                                                "event_id"};

// `ray get` takes every resource but jobs and runtime-envs.
const std::array<state_noun, 9> nouns{{
    {"actors", "actor_id", actor_columns},
    {"jobs", "", job_columns},
    {"placement-groups", "placement_group_id", placement_group_columns},
    {"nodes", "node_id", node_columns},
    {"workers", "worker_id", worker_columns},
    {"tasks", "task_id", task_columns},
    {"objects", "object_id", object_columns},
    {"runtime-envs", "", runtime_env_columns},
    {"cluster-events", "event_id", cluster_event_columns},
}};

std::string cell_text(const json::value* value) {
    if (!value || value->is_null()) return "-";
    if (value->is_string()) return std::string(value->get_string());
    return json::serialize(*value);
}

/// {"FINISHED": 1, "FAILED": 1} as "FAILED: 1, FINISHED: 1".
std::string counts_text(const std::map<std::string, std::int64_t>& counts) {
    std::string out;
    for (const auto& [state, count] : counts) out += (out.empty() ? "" : ", ") + state + ": " + std::to_string(count);
    return out.empty() ? "-" : out;
}

void render_lineage(const std::vector<task_lineage_node>& nodes, std::size_t depth, std::string& out) {
    for (const auto& node : nodes) {
        out +=
            std::string(2 * depth, ' ') + node.name + " (" + node.type + ")  " + counts_text(node.state_counts) + "\n";
        render_lineage(node.children, depth + 1, out);
    }
}

}  // namespace

std::span<const state_noun> state_nouns() {
    return nouns;
}

const state_noun* find_state_noun(std::string_view name) {
    auto it = std::find_if(nouns.begin(), nouns.end(), [&](const state_noun& n) { return n.name == name; });
    return it == nouns.end() ? nullptr : &*it;
}

std::vector<std::string> state_noun_names(bool gettable) {
    std::vector<std::string> names;
    for (const auto& noun : nouns)
        if (!gettable || !noun.id_key.empty()) names.emplace_back(noun.name);
    return names;
}

list_filter parse_filter(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw invalid_value("--filter needs KEY=VALUE or KEY!=VALUE, got '" + text + "'");
    const bool negated = text[eq - 1] == '!';
    list_filter filter(text.substr(0, negated ? eq - 1 : eq), negated ? "!=" : "=", text.substr(eq + 1));
    if (filter.key.empty()) throw invalid_value("--filter needs a KEY");
    return filter;
}

list_filter parse_state_filter(const std::string& text) {
    list_filter filter = parse_filter(text);
    filter.key = to_lower(filter.key);
    return filter;
}

table rows_table(const json::array& rows, std::span<const std::string_view> columns) {
    table t;
    for (std::string_view column : columns) {
        t.headers.push_back(core::to_upper(column));
        // Free text and structures may be cut to fit; ids and states stay whole.
        t.shrinkable.push_back(column == "message" || column == "entrypoint" || column == "labels" ||
                               column == "resources_total" || column == "runtime_env" || column == "driver_info" ||
                               column == "state_message");
        if (column == "state" || column == "status") t.status_column = static_cast<int>(t.headers.size() - 1);
    }
    for (const auto& row : rows) {
        const json::object* object = row.if_object();
        std::vector<std::string> cells;
        for (std::string_view column : columns)
            cells.push_back(cell_text(object ? object->if_contains(column) : nullptr));
        t.rows.push_back(std::move(cells));
    }
    return t;
}

std::string render_task_summary(const task_summary& summary, std::size_t width) {
    std::string out = "total tasks: " + std::to_string(summary.total_tasks) +
                      ", actor tasks: " + std::to_string(summary.total_actor_tasks) +
                      ", actors scheduled: " + std::to_string(summary.total_actor_scheduled) + "\n\n";
    if (summary.summary_by == "lineage") {
        render_lineage(summary.lineage, 0, out);
        return out;
    }
    table t{{"FUNC_OR_CLASS_NAME", "TYPE", "STATE_COUNTS"}, {}, {true, false, true}, -1};
    for (const auto& group : summary.groups)
        t.rows.push_back({group.func_or_class_name, group.type, counts_text(group.state_counts)});
    return out + render_table(t, width, false);
}

std::string render_actor_summary(const actor_summary& summary, std::size_t width) {
    table t{{"CLASS_NAME", "STATE_COUNTS"}, {}, {true, true}, -1};
    for (const auto& group : summary.groups) t.rows.push_back({group.class_name, counts_text(group.state_counts)});
    return "total actors: " + std::to_string(summary.total_actors) + "\n\n" + render_table(t, width, false);
}

std::string render_object_summary(const object_summary& summary, std::size_t width) {
    table t{{"CALL_SITE", "OBJECTS", "SIZE_MB", "WORKERS", "NODES", "REFERENCES"},
            {},
            {true, false, false, false, false, true},
            -1};
    for (const auto& group : summary.groups) {
        char size[32];
        std::snprintf(size, sizeof size, "%.3f", group.total_size_mb);
        t.rows.push_back({group.call_site, std::to_string(group.total_objects), size,
                          std::to_string(group.total_num_workers), std::to_string(group.total_num_nodes),
                          counts_text(group.ref_type_counts)});
    }
    char total[32];
    std::snprintf(total, sizeof total, "%.3f", summary.total_size_mb);
    return "total objects: " + std::to_string(summary.total_objects) + ", total size: " + total + " MB\n\n" +
           render_table(t, width, false);
}

std::string render_log_files(const log_file_list& files) {
    std::string out = files.node_ip.empty() ? "Node ID: " + files.node_id + "\n" : "Node IP: " + files.node_ip + "\n";
    json::object categories;
    for (const auto& [category, names] : files.categories) {
        json::array list;
        for (const auto& name : names) list.emplace_back(name);
        categories[category] = std::move(list);
    }
    return out + core::to_yaml(categories);
}

std::string log_truncation_note(std::int64_t lines) {
    return "--- Log has been truncated to last " + std::to_string(lines) +
           " lines. Use `--tail` flag to toggle. Set to -1 for getting the entire file. ---\n";
}

}  // namespace raycl::cli
