// The state commands: `raycl node`, `raycl task`, `raycl actor` (list, get) and `raycl version`.
#include "commands/commands.hpp"
#include "process.hpp"
#include "session.hpp"
#include "state_views.hpp"
#include "text.hpp"

#include <algorithm>

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

list_options list_options_of(const command& cmd) {
    list_options list;
    list.limit = cmd.limit;
    list.filters = cmd.filters;
    list.detail = cmd.detail;
    return list;
}

/// A state-API list: the raw rows as a JSON/YAML array, or a table, plus a note on stderr when
/// Ray left rows out.
template <class Result, class ToTable>
void print_list(session& s, const Result& result, ToTable to_table) {
    s.print(raw_array(result.items), [&] { return render_table(to_table(result.items), s.term().width, s.colour()); });
    if (result.truncated())
        write_err("raycl: showing " + std::to_string(result.items.size()) + " of " +
                  std::to_string(std::max(result.total, result.num_filtered)) + " rows (use --limit)\n");
}

void print_object(session& s, const json::object& raw) {
    s.print(raw, [&] { return render_object(raw, s.term().width, s.colour()); });
}

asio::awaitable<watch_frame> node_list_frame(session& s) {
    auto op = s.ray().list_nodes(list_options_of(s.cmd()));
    const auto nodes = co_await std::move(op);
    watch_frame frame{raw_array(nodes.items), nodes_table(nodes.items), {}};
    for (const auto& node : nodes.items) frame.keys.push_back(node.node_id);
    co_return frame;
}

/// `raycl NOUN get ID`: one row of the state API.
template <auto get>
asio::awaitable<int> run_get(session& s) {
    auto op = (s.ray().*get)(s.cmd().target, call_options{});
    const auto item = co_await std::move(op);
    print_object(s, item.raw);
    co_return exit_code::ok;
}

/// `raycl NOUN list`: the rows of the state API as a table.
template <auto list, auto to_table>
asio::awaitable<int> run_list(session& s) {
    auto op = (s.ray().*list)(list_options_of(s.cmd()), call_options{});
    const auto result = co_await std::move(op);
    print_list(s, result, [](const auto& items) { return to_table(items); });
    co_return exit_code::ok;
}

asio::awaitable<int> run_node_list(session& s) {
    if (s.cmd().watch) co_return co_await s.watch("raycl node list", [&s] { return node_list_frame(s); });
    co_return co_await run_list<&client::list_nodes, &nodes_table>(s);
}

asio::awaitable<int> run_version(session& s) {
    auto op = s.ray().get_version();
    const auto version = co_await std::move(op);
    s.print(versions_json(version), [&] { return render_versions(version, s.ray().address()); });
    co_return exit_code::ok;
}

/// `raycl NOUN list` and `raycl NOUN get ID`.
std::pair<command_tree::node, command_tree::node> define_noun(command_tree& tree, const std::string& noun,
                                                              const std::string& plural, command_kind list_kind,
                                                              command_runner list_run, command_kind get_kind,
                                                              command_runner get_run,
                                                              const std::string& list_usage = "list") {
    auto group = tree.group(tree.root(), noun, "list, get " + plural);
    tree.describe(group, list_usage + "\nraycl " + noun + " get ID", "");
    auto list = tree.add_command(group, "list", "list " + plural, list_kind, list_run);
    auto get = tree.add_command(group, "get", "show one of the " + plural, get_kind, get_run);
    tree.positionals(get, "ID", 1, 1);
    return {list, get};
}

}  // namespace

void define_state_commands(command_tree& tree, command& cmd) {
    auto [node_list, node_get] = define_noun(tree, "node", "nodes", command_kind::node_list, {&run_node_list},
                                             command_kind::node_get, {&run_get<&client::get_node>});
    add_watch_flags(tree, node_list, cmd);
    auto [task_list, task_get] = define_noun(
        tree, "task", "tasks", command_kind::task_list, {&run_list<&client::list_tasks, &tasks_table>},
        command_kind::task_get, {&run_get<&client::get_task>}, "list [--limit N] [--filter KEY=VALUE]... [--detail]");
    tree.option(task_list, "--limit", "N", "at most N rows (1..10000)", [&cmd](const std::string& v) {
        cmd.limit = static_cast<int>(parse_integer_in(v, "--limit", 1, 10000));
    });
    tree.repeated(task_list, "--filter", "KEY=VALUE",
                  "keep rows where KEY equals VALUE (repeatable; KEY!=VALUE keeps rows where it differs)",
                  [&cmd](const std::string& v) { cmd.filters.push_back(parse_filter(v)); });
    tree.flag(task_list, "--detail", "detailed rows", [&cmd] { cmd.detail = true; });
    define_noun(tree, "actor", "actors", command_kind::actor_list, {&run_list<&client::list_actors, &actors_table>},
                command_kind::actor_get, {&run_get<&client::get_actor>});
}

void define_version_command(command_tree& tree, command&) {
    auto version =
        tree.add_command(tree.root(), "version", "client and server versions", command_kind::version, {&run_version});
    tree.describe(version, "", "Prints the client and the server versions.");
}

}  // namespace raycl::cli
