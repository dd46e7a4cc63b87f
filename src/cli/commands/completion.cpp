// `raycl completion bash|zsh|fish` (prints a script), and the hidden commands behind it and the
// package: `raycl __complete --shell SHELL -- WORDS...` (the candidates for the last word) and
// `raycl __manpage` (raycl(1) in roff, generated from the help).
#include "commands/commands.hpp"
#include "complete.hpp"
#include "contexts.hpp"
#include "help.hpp"
#include "process.hpp"
#include "session.hpp"
#include "text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace raycl::cli {
namespace {

namespace asio = boost::asio;

const std::vector<std::string> shells = {"bash", "zsh", "fish"};

std::vector<std::string> context_names() {
    try {
        std::vector<std::string> names;
        for (const auto& entry : load_context_file().config.contexts) names.push_back(entry.name);
        return names;
    } catch (const std::exception&) {
        return {};
    }
}

/// Submission ids of the cluster `globals` point to, within about 1.5 s; nothing on any failure.
std::vector<completion_candidate> job_ids(const global_options& globals) {
    std::vector<completion_candidate> out;
    try {
        connection resolved;
        std::vector<std::string> warnings;  // not printed: completion stays silent
        client_options options = connection_options(globals, resolved, warnings);
        options.timeout.connect = seconds(0.5);
        options.timeout.read = seconds(1.0);
        options.retry.max_attempts = 1;
        asio::io_context loop;
        client ray(loop.get_executor(), options);
        asio::co_spawn(
            loop,
            [&]() -> asio::awaitable<void> {
                auto op = ray.list_jobs();
                const auto jobs = co_await std::move(op);
                for (const auto& job : jobs) {
                    if (job.submission_id) out.push_back({*job.submission_id, job.status_text + "  " + job.entrypoint});
                }
            },
            asio::detached);
        loop.run();
    } catch (const std::exception&) {
        out.clear();
    }
    return out;
}

int run_completion(const command& cmd) {
    write_out(completion_script(cmd.target));
    return exit_code::ok;
}

int run_complete(const command& cmd) {
    completion_sources sources{&context_names, &job_ids};
    write_out(format_completion(complete_words(command_specs(), cmd.entrypoint, cmd.shell, sources), cmd.shell));
    return exit_code::ok;
}

int run_manual_page(const command&) {
    write_out(render_manual_page(command_specs()));
    return exit_code::ok;
}

}  // namespace

void define_completion_commands(command_tree& tree, command& cmd) {
    auto completion = tree.add_command(tree.root(), "completion", "shell completion script (bash, zsh, fish)",
                                       command_kind::completion, {nullptr, &run_completion});
    tree.describe(completion, "bash|zsh|fish",
                  "Prints the completion script of a shell. It completes commands, flags and their values (output "
                  "formats, protocols, context names) and job ids of the current cluster (asked with a short "
                  "timeout; nothing is shown when the cluster does not answer).\n\n"
                  "  bash:  source <(raycl completion bash)\n"
                  "  zsh:   source <(raycl completion zsh)\n"
                  "  fish:  raycl completion fish | source");
    tree.positionals(completion, "SHELL", 1, 1, value_completion::choices, shells);
    tree.validate(completion, [&cmd] { parse_choice(cmd.target, "SHELL", shells); });

    auto complete = tree.add_command(tree.root(), "__complete", "candidates for the completion scripts",
                                     command_kind::complete_words, {nullptr, &run_complete});
    tree.hide(complete);
    tree.option(complete, "--shell", "SHELL", "bash, zsh or fish",
                [&cmd](const std::string& v) { cmd.shell = parse_choice(v, "--shell", shells); });
    tree.entrypoint(complete);
    tree.validate(complete, [&cmd] {
        if (cmd.entrypoint.empty()) cmd.entrypoint.emplace_back();
    });

    auto manual = tree.add_command(tree.root(), "__manpage", "raycl(1) in roff", command_kind::print_manual_page,
                                   {nullptr, &run_manual_page});
    tree.hide(manual);
}

}  // namespace raycl::cli
