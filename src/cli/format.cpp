// Output formatting of the raycl CLI (see format.hpp).
#include "format.hpp"

#include "core/yaml_json.hpp"
#include "text.hpp"

#include <raycl/version.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <numeric>

namespace raycl::cli {

namespace json = boost::json;

std::size_t display_width(std::string_view text) noexcept {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string shorten(std::string_view text, std::size_t width) {
    if (display_width(text) <= width) return std::string(text);
    if (width <= 3) return std::string(width, '.');
    std::string out;
    std::size_t columns = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts && columns == width - 3) break;
        if (starts) ++columns;
        out += text[i];
    }
    return out + "...";
}

std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    }
    return out;
}

std::string_view status_colour(std::string_view s) noexcept {
    if (s == "SUCCEEDED" || s == "ALIVE" || s == "HEALTHY" || s == "FINISHED" || s == "RUNNING_APP") return "\033[32m";
    if (s == "FAILED" || s == "DEAD" || s == "DEPLOY_FAILED" || s == "UNHEALTHY") return "\033[31m";
    if (s == "RUNNING" || s == "PENDING" || s == "DEPLOYING" || s == "UPDATING" || s == "NOT_STARTED" ||
        s == "PENDING_CREATION" || s == "RESTARTING" || s == "DELETING")
        return "\033[33m";
    if (s == "STOPPED") return "\033[35m";
    return "";
}

std::string coloured_status(std::string_view text, bool colour) {
    const auto code = colour ? status_colour(text) : std::string_view{};
    if (code.empty()) return std::string(text);
    return std::string(code) + std::string(text) + "\033[0m";
}

std::string render_table(const table& t, std::size_t width, bool colour) {
    const std::size_t n = t.headers.size();
    std::vector<std::size_t> widths(n, 0);
    auto cell = [&](const std::vector<std::string>& row, std::size_t c) -> std::string {
        return c < row.size() ? one_line(row[c]) : std::string();
    };
    for (std::size_t c = 0; c < n; ++c) {
        widths[c] = display_width(t.headers[c]);
        for (const auto& row : t.rows) widths[c] = std::max(widths[c], display_width(cell(row, c)));
    }
    // Shrink the shrinkable columns, widest first, down to their header (at least 8).
    auto total = [&] { return std::accumulate(widths.begin(), widths.end(), std::size_t{0}) + 2 * (n ? n - 1 : 0); };
    while (total() > width) {
        std::size_t best = n;
        for (std::size_t c = 0; c < n; ++c) {
            const bool shrink = c < t.shrinkable.size() && t.shrinkable[c];
            const std::size_t floor = std::max<std::size_t>(8, display_width(t.headers[c]));
            if (shrink && widths[c] > floor && (best == n || widths[c] > widths[best])) best = c;
        }
        if (best == n) break;
        --widths[best];
    }
    std::string out;
    auto emit = [&](const std::vector<std::string>& row, bool header) {
        std::string line;
        for (std::size_t c = 0; c < n; ++c) {
            std::string text = shorten(header ? t.headers[c] : cell(row, c), widths[c]);
            const std::size_t pad = widths[c] - display_width(text);
            if (!header && colour && static_cast<int>(c) == t.status_column) text = coloured_status(text, true);
            line += text;
            if (c + 1 < n) line += std::string(pad + 2, ' ');
        }
        out += line + "\n";
    };
    emit(t.headers, true);
    for (const auto& row : t.rows) emit(row, false);
    return out;
}

namespace {

std::string scalar_text(const json::value& v) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_null()) return "-";
    return json::serialize(v);
}

}  // namespace

std::string render_object(const json::object& object, std::size_t width, bool colour) {
    std::size_t key_width = 0;
    for (const auto& [key, value] : object) key_width = std::max(key_width, display_width(key));
    std::string out;
    for (const auto& [key, value] : object) {
        std::string line(key);
        line += std::string(key_width - display_width(key) + 2, ' ');
        const std::size_t room = width > key_width + 2 + 8 ? width - key_width - 2 : 8;
        std::string text = shorten(one_line(scalar_text(value)), room);
        if ((key == "status" || key == "state") && value.is_string()) text = coloured_status(text, colour);
        out += line + text + "\n";
    }
    return out;
}

std::string format_time_ms(const std::optional<std::int64_t>& ms) {
    if (!ms || *ms <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(*ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
    return buffer;
}

std::string format_elapsed(std::chrono::steady_clock::duration elapsed) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
    char buffer[32];
    if (s < 60)
        std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(s));
    else if (s < 3600)
        std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(s / 60),
                      static_cast<long long>(s % 60));
    else
        std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(s / 3600),
                      static_cast<long long>(s / 60 % 60));
    return buffer;
}

table jobs_table(const std::vector<job_details>& jobs) {
    table t{{"SUBMISSION_ID", "STATUS", "START", "ENTRYPOINT"}, {}, {false, false, false, true}, 1};
    for (const auto& j : jobs) {
        t.rows.push_back({j.submission_id.value_or(j.job_id.value_or("-")), j.status_text, format_time_ms(j.start_time),
                          j.entrypoint});
    }
    return t;
}

table nodes_table(const std::vector<node_info>& nodes) {
    table t{{"NODE_ID", "IP", "STATE", "HEAD"}, {}, {}, 2};
    for (const auto& n : nodes) t.rows.push_back({n.node_id, n.node_ip, n.state, n.is_head_node ? "yes" : "no"});
    return t;
}

table tasks_table(const std::vector<task_info>& tasks) {
    table t{{"TASK_ID", "ATTEMPT", "STATE", "NAME"}, {}, {false, false, false, true}, 2};
    for (const auto& task : tasks)
        t.rows.push_back({task.task_id, std::to_string(task.attempt_number), task.state, task.name});
    return t;
}

table actors_table(const std::vector<actor_info>& actors) {
    table t{{"ACTOR_ID", "STATE", "CLASS", "NAME"}, {}, {false, false, true, true}, 1};
    for (const auto& a : actors) t.rows.push_back({a.actor_id, a.state, a.class_name, a.name.value_or("-")});
    return t;
}

table serve_table(const serve_instance& instance) {
    table t{{"APPLICATION", "STATUS", "ROUTE", "SOURCE", "DEPLOYMENTS"}, {}, {true, false, true, false, false}, 1};
    for (const auto& app : instance.applications) {
        t.rows.push_back({app.name, app.status_text, app.route_prefix.value_or("-"), app.source,
                          std::to_string(app.deployments.size())});
    }
    return t;
}

std::string render_serve_application(const serve_application& app, std::size_t width, bool colour) {
    json::object summary;
    summary["name"] = app.name;
    summary["status"] = app.status_text;
    summary["message"] = app.message;
    summary["route_prefix"] = app.route_prefix ? json::value(*app.route_prefix) : json::value(nullptr);
    summary["source"] = app.source;
    std::string out = render_object(summary, width, colour);
    if (!app.deployments.empty()) {
        table t{{"DEPLOYMENT", "STATUS", "REPLICAS", "MESSAGE"}, {}, {true, false, false, true}, 1};
        for (const auto& d : app.deployments)
            t.rows.push_back({d.name, d.status, std::to_string(d.replica_count), d.message});
        out += "\n" + render_table(t, width, colour);
    }
    return out;
}

std::string render_versions(const version_info& server, const std::string& address) {
    std::string out = "client  raycl " + std::string(raycl::version_string) + "\n";
    out += "server  Ray " + server.ray_version + " (dashboard API " + server.version + ") at " + address + "\n";
    return out;
}

json::object versions_json(const version_info& server) {
    json::object out;
    out["client"] = json::object{{"raycl", raycl::version_string}};
    out["server"] = *server.raw;
    return out;
}

std::string json_document(const json::value& value) {
    return json::serialize(value) + "\n";
}

std::string data_document(const json::value& value, output_format output) {
    return output == output_format::yaml ? core::to_yaml(value) : json_document(value);
}

output_format parse_output_format(const std::string& value) {
    const auto name = parse_choice(value, "--output", {"table", "json", "yaml"});
    return name == "json" ? output_format::json : name == "yaml" ? output_format::yaml : output_format::table;
}

std::string format_error(int status, std::string_view message, output_format output) {
    if (output != output_format::table) {
        json::object error{{"status", status}, {"message", message}};
        return data_document(json::object{{"error", std::move(error)}}, output);
    }
    return "raycl: error " + std::to_string(status) + ": " + one_line(message) + "\n";
}

std::string format_usage_error(const usage_error& error) {
    return "raycl: " + std::string(error.what()) + "\nTry '" + error.help_command() + " --help'.\n";
}

std::string spinner_line(std::size_t frame, std::chrono::steady_clock::duration elapsed, std::string_view what,
                         std::string_view status, bool colour) {
    static const char frames[] = {'|', '/', '-', '\\'};
    std::string out(1, frames[frame % 4]);
    out += " " + std::string(what) + "  " + format_elapsed(elapsed) + "  " + coloured_status(status, colour);
    return out;
}

}  // namespace raycl::cli
