// The `raycl serve` commands: list, get, deploy, delete, shutdown.
#include "commands/commands.hpp"
#include "process.hpp"
#include "session.hpp"

#include "core/yaml_json.hpp"

#include <boost/json/parse.hpp>

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

/// The declarative config of `serve deploy`: a JSON or YAML file (or stdin). Read before any
/// request; a problem is a usage error.
json::object read_serve_config(const std::string& path) {
    const auto text = path == "-" ? std::optional<std::string>(read_stdin()) : read_file(path);
    const std::string level = "raycl serve deploy";
    if (!text) throw usage_error("cannot read '" + path + "'", level);
    boost::system::error_code ec;
    auto value = json::parse(*text, ec);
    if (ec) {
        try {
            value = core::load_yaml(*text, path == "-" ? "stdin" : path);
        } catch (const client_error& error) {
            throw usage_error("'" + path + "' is neither JSON nor YAML: " + error.message(), level);
        }
    }
    if (!value.is_object()) throw usage_error("'" + path + "' is not a JSON or YAML object", level);
    return std::move(value.as_object());
}

asio::awaitable<int> run_list(session& s) {
    auto op = s.ray().list_serve_applications();
    const auto instance = co_await std::move(op);
    s.print(*instance.raw, [&] {
        return instance.applications.empty() ? std::string("no Serve applications\n")
                                             : render_table(serve_table(instance), s.term().width, s.colour());
    });
    co_return exit_code::ok;
}

asio::awaitable<int> run_get(session& s) {
    auto op = s.ray().get_serve_application(s.cmd().target);
    const auto app = co_await std::move(op);
    s.print(*app.raw, [&] { return render_serve_application(app, s.term().width, s.colour()); });
    co_return exit_code::ok;
}

asio::awaitable<int> run_deploy(session& s) {
    const std::string& path = s.cmd().target;
    json::object config = read_serve_config(path);
    // Each application's local working_dir / py_modules are packaged and uploaded first.
    const bool progress = s.term().stderr_is_terminal && s.output() == output_format::table;
    s.on_interrupt("nothing was deployed");
    auto op = s.ray().deploy_serve_applications(std::move(config), cli_packaging(progress));
    co_await std::move(op);
    s.print(json::object{{"deployed", true}},
            [&] { return "deployed " + path + "; deployment continues: raycl serve list\n"; });
    co_return exit_code::ok;
}

asio::awaitable<int> run_delete(session& s) {
    const std::string& name = s.cmd().target;
    auto op = s.ray().delete_serve_application(name);
    co_await std::move(op);
    s.print(json::object{{"deleted", name}}, [&] { return "deleted application " + name + "\n"; });
    co_return exit_code::ok;
}

asio::awaitable<int> run_shutdown(session& s) {
    auto op = s.ray().shutdown_serve();
    co_await std::move(op);
    s.print(json::object{{"shutdown", true}}, [] { return std::string("Serve is shut down\n"); });
    co_return exit_code::ok;
}

}  // namespace

void define_serve_commands(command_tree& tree, command&) {
    auto serve = tree.group(tree.root(), "serve", "list, get, deploy, delete Serve applications; shutdown Serve");
    tree.add_command(serve, "list", "Serve instance and its applications", command_kind::serve_list, {&run_list});
    auto get = tree.add_command(serve, "get", "one application", command_kind::serve_get, {&run_get});
    tree.positionals(get, "APP", 1, 1);
    auto deploy = tree.add_command(serve, "deploy", "deploy a declarative config (JSON or YAML; - for stdin)",
                                   command_kind::serve_deploy, {&run_deploy});
    tree.describe(deploy, "CONFIG",
                  "Deploys a declarative Serve config (a JSON or YAML file, or - for stdin), replacing the "
                  "current one. Deployment continues after the command returns: raycl serve list.\n\n"
                  "Local working_dir and py_modules paths in an application's runtime_env are packaged and "
                  "uploaded as `raycl job submit` does it (Ray's `serve deploy` refuses them).");
    tree.positionals(deploy, "CONFIG", 1, 1, value_completion::files);
    auto remove =
        tree.add_command(serve, "delete", "delete one application", command_kind::serve_delete, {&run_delete});
    tree.positionals(remove, "APP", 1, 1);
    tree.add_command(serve, "shutdown", "shut Serve down with every application", command_kind::serve_shutdown,
                     {&run_shutdown});
}

}  // namespace raycl::cli
