// `raycl list RESOURCE`, `raycl get RESOURCE ID` and `raycl summary tasks|actors|objects`: Ray's
// state API with `ray list/get/summary`'s resources and flags. Tables by default, the server's
// objects unchanged with --output json|yaml; notes on truncation go to stderr only.
#include "commands/commands.hpp"
#include "process.hpp"
#include "session.hpp"
#include "state_views.hpp"
#include "text.hpp"

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

/// The rows of a list and its numbers.
struct listing {
    json::array rows;
    list_counts counts;
};

template <auto list>
asio::awaitable<listing> list_with(session& s, list_options options) {
    auto op = (s.ray().*list)(std::move(options), call_options{});
    const auto result = co_await std::move(op);
    co_return listing{raw_array(result.items), result};
}

using list_function = asio::awaitable<listing> (*)(session&, list_options);

list_function list_function_of(std::string_view noun) {
    if (noun == "actors") return &list_with<&client::list_actors>;
    if (noun == "jobs") return &list_with<&client::list_state_jobs>;
    if (noun == "placement-groups") return &list_with<&client::list_placement_groups>;
    if (noun == "nodes") return &list_with<&client::list_nodes>;
    if (noun == "workers") return &list_with<&client::list_workers>;
    if (noun == "tasks") return &list_with<&client::list_tasks>;
    if (noun == "objects") return &list_with<&client::list_objects>;
    if (noun == "runtime-envs") return &list_with<&client::list_runtime_envs>;
    return &list_with<&client::list_cluster_events>;
}

list_options list_options_of(const command& cmd) {
    list_options options;
    options.limit = cmd.limit;
    options.filters = cmd.filters;
    options.detail = cmd.detail;
    if (cmd.global.timeout) options.server_timeout_seconds = std::min(*cmd.global.timeout, 300.0);
    return options;
}

/// Ray's notes on what a list left out, on stderr (never in the data on stdout).
void note_truncation(const list_counts& counts, std::string_view what) {
    for (const auto& note : counts.describe_truncation(what)) write_err("raycl: " + note + "\n");
}

asio::awaitable<int> run_list(session& s) {
    const auto& cmd = s.cmd();
    const state_noun& noun = *find_state_noun(cmd.target);
    auto op = list_function_of(noun.name)(s, list_options_of(cmd));
    const auto result = co_await std::move(op);
    s.print(result.rows, [&] {
        // As `ray list --detail`: every field of every row, which no table holds.
        if (cmd.detail) return data_document(result.rows, output_format::yaml);
        return render_table(rows_table(result.rows, noun.columns), s.term().width, s.colour());
    });
    note_truncation(result.counts, std::string(noun.name));
    co_return exit_code::ok;
}

/// As `ray get`: a list filtered on the id column, with detail (tasks: one row per attempt,
/// objects: one per reference). No row is a 404.
asio::awaitable<int> run_get(session& s) {
    const auto& cmd = s.cmd();
    const state_noun& noun = *find_state_noun(cmd.target);
    const std::string& id = cmd.targets.at(1);
    list_options options = list_options_of(cmd);
    options.detail = true;
    options.filters = {list_filter(std::string(noun.id_key), "=", id)};
    auto op = list_function_of(noun.name)(s, std::move(options));
    const auto result = co_await std::move(op);
    if (result.rows.empty())
        throw client_error(error_kind::not_found, std::string(noun.name) + " " + id + " not found in the cluster");
    s.print(result.rows, [&] {
        std::string out;
        for (const auto& row : result.rows) {
            if (!out.empty()) out += "\n";
            out += render_object(row.as_object(), s.term().width, s.colour());
        }
        return out;
    });
    co_return exit_code::ok;
}

summary_options summary_options_of(const command& cmd) {
    summary_options options;
    options.filters = cmd.filters;
    if (cmd.global.timeout) options.server_timeout_seconds = std::min(*cmd.global.timeout, 300.0);
    return options;
}

asio::awaitable<int> run_summary(session& s) {
    const auto& cmd = s.cmd();
    const auto options = summary_options_of(cmd);
    if (cmd.target == "tasks") {
        const auto by = cmd.summary_by == "lineage"     ? task_summary_by::lineage
                        : cmd.summary_by == "task_name" ? task_summary_by::task_name
                                                        : task_summary_by::func_name;
        auto op = s.ray().summarize_tasks(by, options);
        const auto summary = co_await std::move(op);
        s.print(*summary.raw, [&] { return render_task_summary(summary, s.term().width); });
        note_truncation(summary, "tasks");
    } else if (cmd.target == "actors") {
        auto op = s.ray().summarize_actors(options);
        const auto summary = co_await std::move(op);
        s.print(*summary.raw, [&] { return render_actor_summary(summary, s.term().width); });
        note_truncation(summary, "actors");
    } else {
        auto op = s.ray().summarize_objects(options);
        const auto summary = co_await std::move(op);
        s.print(*summary.raw, [&] { return render_object_summary(summary, s.term().width); });
        note_truncation(summary, "objects");
    }
    co_return exit_code::ok;
}

void filter_flag(command_tree& tree, command_tree::node n, command& cmd) {
    tree.repeated(n, "-f,--filter", "KEY=VALUE",
                  "keep rows where KEY equals VALUE, or differs with KEY!=VALUE (repeatable, all must hold; keys as "
                  "Ray's columns, in any case)",
                  [&cmd](const std::string& v) { cmd.filters.push_back(parse_state_filter(v)); });
}

}  // namespace

void define_query_commands(command_tree& tree, command& cmd) {
    const auto all = state_noun_names(false);
    auto list = tree.add_command(tree.root(), "list", "list a resource of the state API (ray list)",
                                 command_kind::state_list, {&run_list});
    tree.describe(list, "RESOURCE [-f KEY=VALUE]... [--limit N] [--detail]",
                  "Lists " + join_alternatives(all, " or ") +
                      " as `ray list` does: a table of Ray's default columns (every field as YAML with --detail), "
                      "the server's rows unchanged with --output json or yaml. When Ray left rows out (its "
                      "10,000-row source limit, --limit), a note says so on stderr. Filter columns are checked "
                      "before anything is sent.");
    tree.positionals(list, "RESOURCE", 1, 1, value_completion::choices, all);
    filter_flag(tree, list, cmd);
    tree.option(list, "--limit", "N", "at most N rows (1..10000, default 100)", [&cmd](const std::string& v) {
        cmd.limit = static_cast<int>(parse_integer_in(v, "--limit", 1, 10000));
    });
    tree.flag(list, "--detail", "every field of each row", [&cmd] { cmd.detail = true; });
    tree.validate(list, [&cmd] { cmd.target = parse_choice(cmd.target, "RESOURCE", state_noun_names(false)); });

    const auto gettable = state_noun_names(true);
    auto get = tree.add_command(tree.root(), "get", "show one resource of the state API by id (ray get)",
                                command_kind::state_get, {&run_get});
    tree.describe(get, "RESOURCE ID",
                  "Shows " + join_alternatives(gettable, " or ") +
                      " by id with every field, as `ray get` does (a task: each attempt; an object: each "
                      "reference to it). Jobs and runtime-envs have no get, as in Ray.");
    tree.positionals(get, "RESOURCE ID", 2, 2, value_completion::choices, gettable);
    tree.validate(get, [&cmd] { cmd.target = parse_choice(cmd.target, "RESOURCE", state_noun_names(true)); });

    auto summary = tree.add_command(tree.root(), "summary", "summarize tasks, actors or objects (ray summary)",
                                    command_kind::state_summary, {&run_summary});
    tree.describe(summary, "tasks|actors|objects [-f KEY=VALUE]... [--summary-by BY]",
                  "Summarizes tasks by function (or lineage), actors by class, objects by call site, as "
                  "`ray summary` does; the server's summary unchanged with --output json or yaml.");
    tree.positionals(summary, "RESOURCE", 1, 1, value_completion::choices, {"tasks", "actors", "objects"});
    filter_flag(tree, summary, cmd);
    tree.option(summary, "--summary-by", "BY", "tasks: func_name (default), task_name or lineage",
                [&cmd](const std::string& v) {
                    cmd.summary_by = parse_choice(v, "--summary-by", {"func_name", "task_name", "lineage"});
                },
                value_completion::choices, {"func_name", "task_name", "lineage"});
    tree.validate(summary, [&cmd] {
        cmd.target = parse_choice(cmd.target, "RESOURCE", {"tasks", "actors", "objects"});
        if (cmd.summary_by && cmd.target != "tasks") throw invalid_value("--summary-by applies to tasks only");
    });
}

}  // namespace raycl::cli
