// `raycl context add|use|list|show|remove`: named contexts in the config file (contexts.hpp).
#include "commands/commands.hpp"
#include "contexts.hpp"
#include "format.hpp"
#include "process.hpp"
#include "text.hpp"

#include <raycl/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/array.hpp>

#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace raycl::cli {
namespace {

namespace json = boost::json;

context_file load() {
    auto file = load_context_file();
    if (!file.warning.empty()) write_err(file.warning);
    return file;
}

void print(const command& cmd, const json::value& value, const std::string& text) {
    write_out(cmd.global.output == output_format::table ? text : data_document(value, cmd.global.output));
}

[[noreturn]] void no_such_context(const context_file& file, const std::string& name) {
    throw client_error(error_kind::not_found,
                       "no context '" + name + "' in " + file.path + "; see: raycl context list");
}

/// An absolute path (relative to the working directory), so the context works from anywhere.
std::string absolute(const std::string& path) {
    if (path.empty() || path[0] == '/') return path;
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + path : path;
}

int run_add(const command& cmd) {
    context_entry entry;
    entry.name = cmd.target;
    entry.address = *cmd.context_address;
    if (cmd.token_file) entry.token_file = absolute(*cmd.token_file);
    entry.token_env = cmd.token_env;
    entry.headers = cmd.context_headers;
    if (cmd.ca_file) entry.ca_file = absolute(*cmd.ca_file);
    entry.insecure = cmd.insecure;
    {  // The address and headers as the SDK accepts them (400 otherwise), before anything is written.
        client_options options;
        options.address = entry.address;
        options.discover_token = false;
        options.headers = entry.headers;
        boost::asio::io_context loop;
        client check(loop.get_executor(), options);
    }
    if (entry.token_file && !read_file(*entry.token_file))
        write_err("raycl: warning: token-file " + *entry.token_file + " cannot be read now\n");
    auto file = load();
    const bool existed = file.config.find(entry.name) != nullptr;
    if (existed)
        *file.config.find(entry.name) = entry;
    else
        file.config.contexts.push_back(entry);
    save_context_file(file.config, file.path);
    const std::string action = existed ? "updated" : "added";
    print(cmd, json::object{{"context", entry.name}, {"action", action}, {"file", file.path}},
          "context '" + entry.name + "' " + action + " in " + file.path +
              (file.config.current == entry.name ? "\n" : "; use it with: raycl context use " + entry.name + "\n"));
    return exit_code::ok;
}

int run_use(const command& cmd) {
    auto file = load();
    if (!file.config.find(cmd.target)) no_such_context(file, cmd.target);
    file.config.current = cmd.target;
    save_context_file(file.config, file.path);
    print(cmd, json::object{{"current-context", cmd.target}}, "switched to context '" + cmd.target + "'\n");
    return exit_code::ok;
}

int run_list(const command& cmd) {
    const auto file = load();
    json::array contexts;
    table t{{"CURRENT", "NAME", "ADDRESS", "TOKEN"}, {}, {false, false, true, true}, -1};
    for (const auto& entry : file.config.contexts) {
        json::object item{{"name", entry.name}};
        for (auto& [key, value] : entry.to_json(true)) item[key] = value;
        contexts.push_back(std::move(item));
        const std::string token = entry.token_env    ? "env " + *entry.token_env
                                  : entry.token_file ? "file " + *entry.token_file
                                                     : "-";
        t.rows.push_back({file.config.current == entry.name ? "*" : "", entry.name, entry.address, token});
    }
    json::object out{{"current-context", file.config.current ? json::value(*file.config.current) : nullptr},
                     {"contexts", std::move(contexts)},
                     {"file", file.path}};
    print(cmd, out,
          file.config.contexts.empty() ? "no contexts in " + file.path + " (add one: raycl context add)\n"
                                       : render_table(t, 80, false));
    return exit_code::ok;
}

int run_show(const command& cmd) {
    const auto file = load();
    std::string name = cmd.target;
    if (name.empty()) {
        if (!file.config.current)
            throw client_error(error_kind::not_found,
                               "no current context in " + file.path + "; see: raycl context use");
        name = *file.config.current;
    }
    const auto* entry = file.config.find(name);
    if (!entry) no_such_context(file, name);
    json::object out{{"name", entry->name}};
    for (auto& [key, value] : entry->to_json(true)) out[key] = value;
    out["current"] = file.config.current == entry->name;
    out["file"] = file.path;
    print(cmd, out, render_object(out, 80, false));
    return exit_code::ok;
}

int run_remove(const command& cmd) {
    auto file = load();
    auto& contexts = file.config.contexts;
    const auto it = std::find_if(contexts.begin(), contexts.end(), [&](const auto& e) { return e.name == cmd.target; });
    if (it == contexts.end()) no_such_context(file, cmd.target);
    contexts.erase(it);
    if (file.config.current == cmd.target) file.config.current.reset();
    save_context_file(file.config, file.path);
    print(cmd, json::object{{"context", cmd.target}, {"action", "removed"}}, "removed context '" + cmd.target + "'\n");
    return exit_code::ok;
}

}  // namespace

void define_context_commands(command_tree& tree, command& cmd) {
    auto context = tree.group(tree.root(), "context", "add, use, list, show, remove named contexts");
    tree.describe(context, "",
                  "Named contexts keep a cluster's address, token reference, headers and TLS settings in "
                  "$XDG_CONFIG_HOME/raycl/config.yaml (else ~/.config/raycl/config.yaml), written with mode 0600. "
                  "Choose one per command with --context NAME or RAYCL_CONTEXT, or make it current with raycl "
                  "context use. A token is stored only by reference (a file or an environment variable), never "
                  "itself, and no command prints it.\n\n"
                  "Each setting is taken from: a flag, then the environment (RAY_ADDRESS, RAY_AUTH_TOKEN), then the "
                  "current context, then the cluster of raycl cluster up, then the default address.");
    auto add =
        tree.add_command(context, "add", "add (or replace) a context", command_kind::context_add, {nullptr, &run_add});
    tree.describe(add,
                  "NAME --address URL [--token-file PATH|--token-env VAR]\n"
                  "[--header 'Name: v']... [--ca-file PATH] [--insecure]",
                  "Adds a context, or replaces the one of that name. The token is not stored: give the file or the "
                  "environment variable that holds it.");
    tree.positionals(add, "NAME", 1, 1);
    tree.option(add, "--address", "URL", "the dashboard URL of the cluster (required)",
                [&cmd](const std::string& v) { cmd.context_address = v; });
    tree.option(
        add, "--token-file", "PATH", "a file holding the token", [&cmd](const std::string& v) { cmd.token_file = v; },
        value_completion::files);
    tree.option(add, "--token-env", "VAR", "an environment variable holding the token",
                [&cmd](const std::string& v) { cmd.token_env = v; });
    tree.repeated(add, "--header", "'Name: v'", "a header sent with every request (repeatable)",
                  [&cmd](const std::string& v) { cmd.context_headers.push_back(parse_header(v, "--header")); });
    tree.option(
        add, "--ca-file", "PATH", "PEM file of CA certificates to trust (https)",
        [&cmd](const std::string& v) { cmd.ca_file = v; }, value_completion::files);
    tree.flag(add, "--insecure", "accept any certificate (throw-away test clusters only)",
              [&cmd] { cmd.insecure = true; });
    tree.validate(add, [&cmd] {
        validate_context_name(cmd.target);
        if (!cmd.context_address && cmd.global.address) cmd.context_address = std::exchange(cmd.global.address, {});
        if (!cmd.context_address) throw invalid_value("--address is required");
        if (cmd.token_file && cmd.token_env) throw invalid_value("give --token-file or --token-env, not both");
        if (cmd.global.token)
            throw invalid_value("a token is never stored in a context: use --token-file or --token-env");
    });
    auto use = tree.add_command(context, "use", "make a context the current one", command_kind::context_use,
                                {nullptr, &run_use});
    tree.positionals(use, "NAME", 1, 1, value_completion::context_names);
    tree.add_command(context, "list", "list the contexts", command_kind::context_list, {nullptr, &run_list});
    auto show = tree.add_command(context, "show", "show a context (default: the current one)",
                                 command_kind::context_show, {nullptr, &run_show});
    tree.positionals(show, "NAME", 0, 1, value_completion::context_names);
    auto remove =
        tree.add_command(context, "remove", "remove a context", command_kind::context_remove, {nullptr, &run_remove});
    tree.positionals(remove, "NAME", 1, 1, value_completion::context_names);
}

}  // namespace raycl::cli
