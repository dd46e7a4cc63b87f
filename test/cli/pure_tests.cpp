// Unit tests of the CLI's pure code added with CLI11: the command tree (parsing of the new flags,
// help, man page), shell completion's engine, contexts and the precedence of connection
// settings, multi-job follow's lines and exit code, --watch's frames, and the text helpers.
#include "args.hpp"
#include "command_tree.hpp"
#include "complete.hpp"
#include "config.hpp"
#include "contexts.hpp"
#include "follow_lines.hpp"
#include "help.hpp"
#include "text.hpp"
#include "watch_view.hpp"

#include <raycl/error.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>

namespace raycl::cli {
namespace {

namespace json = boost::json;

std::string usage_message(std::vector<std::string> args) {
    try {
        parse_command_line(args);
    } catch (const usage_error& e) {
        return std::string(e.what()) + " | " + e.help_command();
    }
    return "no error";
}

std::vector<std::string> values(const completion_result& result) {
    std::vector<std::string> out;
    for (const auto& c : result.candidates) out.push_back(c.value);
    return out;
}

bool fits_80(const std::string& text) {
    for (const auto line : split_lines(text)) {
        if (line.size() > 80) return false;
    }
    return true;
}

/// Visits every visible command spec.
void each_spec(const command_spec& spec, const std::function<void(const command_spec&)>& visit) {
    if (spec.hidden) return;
    visit(spec);
    for (const auto& child : spec.children) each_spec(child, visit);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_tree)

BOOST_AUTO_TEST_CASE(new_flags_parse) {
    auto logs = parse_command_line(
        {"job", "logs", "a", "b", "--follow", "--no-prefix", "--max-concurrency=3", "-o", "yaml", "--context", "prod"});
    BOOST_TEST((logs.targets == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(logs.target == "a");
    BOOST_TEST(logs.no_prefix);
    BOOST_TEST(logs.max_concurrency == 3);
    BOOST_TEST((logs.global.output == output_format::yaml));
    BOOST_TEST(*logs.global.context == "prod");
    auto selection = parse_command_line({"job", "logs", "--selector", "team=ml", "--selector=tier=gold", "--status",
                                         "RUNNING", "--status", "PENDING", "--follow", "--new", "--interval", "0.5"});
    BOOST_TEST(selection.targets.empty());
    BOOST_TEST(selection.selectors.size() == 2u);
    BOOST_TEST(selection.selectors[1].first == "tier");
    BOOST_TEST(selection.selectors[1].second == "gold");
    BOOST_TEST((selection.statuses == std::vector<std::string>{"RUNNING", "PENDING"}));
    BOOST_TEST(selection.new_jobs);
    BOOST_TEST(selection.interval == 0.5);
    BOOST_TEST(parse_command_line({"job", "logs", "--all"}).all_jobs);
    auto watch = parse_command_line({"node", "list", "-w", "--interval", "1"});
    BOOST_TEST(watch.watch);
    BOOST_TEST((watch.kind == command_kind::node_list));
    auto add = parse_command_line({"context", "add", "prod", "--address", "https://h", "--token-env", "T", "--header",
                                   "X-A: 1", "--ca-file", "ca.pem", "--insecure"});
    BOOST_TEST((add.kind == command_kind::context_add));
    BOOST_TEST(*add.context_address == "https://h");
    BOOST_TEST(!add.global.address.has_value());  // the command's own --address
    BOOST_TEST(add.context_headers.at(0).first == "X-A");
    BOOST_TEST(add.global.headers.empty());
    BOOST_TEST(add.insecure);
    // `raycl --address URL context add NAME` works too
    BOOST_TEST(*parse_command_line({"--address", "http://g", "context", "add", "x"}).context_address == "http://g");
    auto complete = parse_command_line({"__complete", "--shell", "zsh", "--", "job", ""});
    BOOST_TEST((complete.entrypoint == std::vector<std::string>{"job", ""}));
    BOOST_TEST(complete.shell == "zsh");
    BOOST_TEST(parse_command_line({"completion", "fish"}).target == "fish");
    // A positional named like a command stays a positional.
    BOOST_TEST(parse_command_line({"job", "status", "list"}).target == "list");
    BOOST_TEST(parse_command_line({"serve", "get", "version"}).target == "version");
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_flag_and_level) {
    BOOST_TEST(usage_message({"job", "list", "--bogus=1"}) == "unknown option '--bogus' | raycl job list");
    BOOST_TEST(usage_message({"job", "status", "a", "b"}) == "unexpected argument 'b' | raycl job status");
    BOOST_TEST(usage_message({"serve", "get", "echo", "list"}) == "unexpected argument 'list' | raycl serve get");
    BOOST_TEST(usage_message({"job", "lst"}) == "unknown command 'job lst' | raycl job");
    BOOST_TEST(usage_message({"nope"}) == "unknown command 'nope' | raycl");
    BOOST_TEST(usage_message({"job"}) == "missing command after 'job' | raycl job");
    BOOST_TEST(usage_message({"job", "status"}) == "missing ID | raycl job status");
    BOOST_TEST(usage_message({"job", "status", ""}) == "ID must not be empty | raycl job status");
    BOOST_TEST(usage_message({"job", "list", "--timeout"}) == "--timeout needs a value | raycl job list");
    BOOST_TEST(usage_message({"job", "list", "-o", "xml"}) ==
               "--output must be table, json or yaml, got 'xml' | raycl job list");
    BOOST_TEST(usage_message({"job", "logs", "j", "--protocol", "udp"}) ==
               "--protocol must be auto, websocket or stream, got 'udp' | raycl job logs");
    BOOST_TEST(usage_message({"job", "list", "--", "x"}) == "'--' is only accepted by 'job submit' | raycl job list");
    BOOST_TEST(usage_message({"job", "list", "--version"}) == "--version takes no command | raycl");
    BOOST_TEST(usage_message({"job", "logs"}) == "missing ID (or --all, --selector, --status) | raycl job logs");
    BOOST_TEST(usage_message({"job", "logs", "a", "--all"}) ==
               "give job IDs or --all/--selector/--status/--new, not both | raycl job logs");
    BOOST_TEST(usage_message({"job", "logs", "--new"}) == "--new needs --follow | raycl job logs");
    BOOST_TEST(usage_message({"job", "logs", "a", "--max-concurrency", "0"}) ==
               "--max-concurrency must be in 1..1000 | raycl job logs");
    BOOST_TEST(usage_message({"job", "list", "--interval", "0"}) == "--interval must be > 0 | raycl job list");
    BOOST_TEST(usage_message({"context", "add", "a b", "--address", "http://h"}) ==
               "a context name is 1 to 64 of A-Z a-z 0-9 _ . - (got 'a b') | raycl context add");
    BOOST_TEST(usage_message({"context", "add", "x", "--address", "http://h", "--token-file", "f", "--token-env",
                              "E"}) == "give --token-file or --token-env, not both | raycl context add");
    BOOST_TEST(usage_message({"completion", "tcsh"}) ==
               "SHELL must be bash, zsh or fish, got 'tcsh' | raycl completion");
}

BOOST_AUTO_TEST_CASE(help_of_every_command_fits_and_lists_its_flags) {
    std::size_t commands = 0;
    each_spec(command_specs(), [&](const command_spec& spec) {
        const auto text = render_help(spec, command_specs());
        BOOST_TEST(text.rfind("Usage: " + spec.path, 0) == 0, text);
        BOOST_TEST(fits_80(text), text);
        BOOST_TEST(text.find("--address URL") != std::string::npos);
        for (const auto& option : spec.options) BOOST_TEST(text.find(option.synopsis()) != std::string::npos, text);
        for (const auto& child : spec.children) {
            if (!child.hidden) BOOST_TEST(text.find("  " + child.name + " ") != std::string::npos, text);
        }
        commands += spec.is_command;
    });
    BOOST_TEST(commands == 36u);  // every command of the registry
    const auto logs = parse_command_line({"job", "logs", "--help"});
    BOOST_TEST(logs.help_text.find("--selector KEY=VALUE") != std::string::npos);
    BOOST_TEST(parse_command_line({"--help"}).help_text.find("__complete") == std::string::npos);  // hidden
    BOOST_TEST(wrap_text("aaa bbb ccc", 7) == "aaa bbb\nccc\n");
    BOOST_TEST(wrap_text("para one\n\n  kept  as is\nnext", 40) == "para one\n\n  kept  as is\nnext\n");
}

BOOST_AUTO_TEST_CASE(manual_page_from_the_help) {
    const auto page = render_manual_page(command_specs());
    BOOST_TEST(page.rfind(".TH RAYCL 1 ", 0) == 0);
    for (const char* part : {".SH SYNOPSIS", ".SH COMMANDS", ".SS \"raycl job submit [options] \\-\\- ENTRYPOINT...\"",
                             ".B \\-\\-selector KEY=VALUE", ".SS \"raycl context add NAME", ".SH GLOBAL OPTIONS",
                             ".SH EXIT STATUS", ".SH ENVIRONMENT", "RAYCL_CONTEXT", ".SH FILES"})
        BOOST_TEST(page.find(part) != std::string::npos, part);
    BOOST_TEST(page.find("__complete") == std::string::npos);
    for (const auto line : split_lines(page)) BOOST_TEST(!(line.size() > 0 && line[0] == '\''));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_completion_engine)

BOOST_AUTO_TEST_CASE(commands_flags_and_values) {
    std::vector<global_options> asked;
    completion_sources sources{
        [] {
            return std::vector<std::string>{"prod", "staging"};
        },
        [&](const global_options& g) {
            asked.push_back(g);
            return std::vector<completion_candidate>{{"raysubmit_a", "RUNNING"}, {"other", "FAILED"}};
        }};
    const auto& root = command_specs();
    auto complete = [&](std::vector<std::string> words, std::string shell = "zsh") {
        return complete_words(root, words, shell, sources);
    };
    const auto top = values(complete({""}));
    BOOST_TEST((top == std::vector<std::string>{"job", "node", "task", "actor", "list", "get", "summary", "status",
                                                "logs", "serve", "version", "cluster", "context", "completion"}));
    BOOST_TEST((values(complete({"job", "s"})) == std::vector<std::string>{"submit", "status", "stop"}));
    BOOST_TEST((values(complete({"job", "logs", "--pro"})) == std::vector<std::string>{"--protocol"}));
    BOOST_TEST((values(complete({"job", "logs", "--protocol", ""})) ==
                std::vector<std::string>{"auto", "websocket", "stream"}));
    BOOST_TEST((values(complete({"-o", "j"})) == std::vector<std::string>{"json"}));
    BOOST_TEST((values(complete({"job", "list", "--output=y"})) == std::vector<std::string>{"--output=yaml"}));
    BOOST_TEST((values(complete({"job", "list", "--output=y"}, "bash")) == std::vector<std::string>{"yaml"}));
    BOOST_TEST((values(complete({"--context", ""})) == std::vector<std::string>{"prod", "staging"}));
    BOOST_TEST((values(complete({"context", "use", "st"})) == std::vector<std::string>{"staging"}));
    BOOST_TEST((values(complete({"completion", ""})) == std::vector<std::string>{"bash", "zsh", "fish"}));
    BOOST_TEST(complete({"serve", "deploy", ""}).files);
    BOOST_TEST(complete({"context", "add", "x", "--token-file", ""}).files);
    BOOST_TEST(complete({"job", "submit", "--", "pyth"}).candidates.empty());
    BOOST_TEST(complete({"job", "status", "x", ""}).candidates.empty());  // one ID only
    // Job ids from the cluster the typed global flags point to.
    const auto jobs = complete({"--context", "prod", "job", "status", "ray"});
    BOOST_TEST((values(jobs) == std::vector<std::string>{"raysubmit_a"}));
    BOOST_TEST(jobs.candidates.at(0).description == "RUNNING");
    BOOST_TEST(*asked.back().context == "prod");
    complete({"--address=http://h:1", "job", "logs", "a", ""});  // several ids
    BOOST_TEST(*asked.back().address == "http://h:1");
    const auto flags = values(complete({"job", "logs", "--"}, "fish"));
    BOOST_TEST(std::count(flags.begin(), flags.end(), "--selector") == 1);
    BOOST_TEST(std::count(flags.begin(), flags.end(), "--address") == 1);  // global flags too
    BOOST_TEST(format_completion(jobs, "bash") == "raysubmit_a\n");
    BOOST_TEST(format_completion(jobs, "fish") == "raysubmit_a\tRUNNING\n");
    BOOST_TEST(format_completion(complete({"serve", "deploy", ""}), "zsh") == ":files\n");
    for (const char* shell : {"bash", "zsh", "fish"})
        BOOST_TEST(completion_script(shell).find("__complete --shell " + std::string(shell)) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_context_model)

BOOST_AUTO_TEST_CASE(parse_serialize_round_trip_and_paths) {
    const std::string text =
        "current-context: prod\ncontexts:\n  prod:\n    address: https://h\n    token-env: PROD_TOKEN\n    headers:\n"
        "      - 'X-Team: ml'\n    ca-file: /ca.pem\n    insecure: true\n  dev:\n    address: http://d\n"
        "    token-file: /t\n";
    const auto config = parse_context_config(text, "c.yaml");
    BOOST_TEST(*config.current == "prod");
    BOOST_TEST(config.contexts.size() == 2u);
    const auto* prod = config.find("prod");
    BOOST_REQUIRE(prod);
    BOOST_TEST(*prod->token_env == "PROD_TOKEN");
    BOOST_TEST(prod->headers.at(0).second == "ml");
    BOOST_TEST(*prod->ca_file == "/ca.pem");
    BOOST_TEST(prod->insecure);
    BOOST_TEST(*config.find("dev")->token_file == "/t");
    const auto again = parse_context_config(serialize_context_config(config), "c.yaml");
    BOOST_TEST(serialize_context_config(again) == serialize_context_config(config));
    BOOST_TEST(parse_context_config("", "c.yaml").contexts.empty());
    BOOST_TEST(parse_context_config("contexts:\n", "c.yaml").contexts.empty());
    BOOST_TEST(context_config_path("/x", "/h") == "/x/raycl/config.yaml");
    BOOST_TEST(context_config_path("relative", "/h") == "/h/.config/raycl/config.yaml");
    BOOST_TEST(context_config_path(nullptr, "/h") == "/h/.config/raycl/config.yaml");
    BOOST_TEST(context_config_path(nullptr, nullptr).empty());
    context_entry entry;
    entry.headers = {{"Authorization", "Bearer x"}, {"X-Api-Key", "k"}, {"X-Team", "ml"}};
    BOOST_TEST(json::serialize(entry.to_json(true).at("headers")) ==
               R"(["Authorization: [REDACTED]","X-Api-Key: [REDACTED]","X-Team: ml"])");
}

BOOST_AUTO_TEST_CASE(tokens_by_reference) {
    context_entry entry;
    entry.name = "c";
    BOOST_TEST(context_token(entry).empty());
    entry.token_env = "RAYCL_UNIT_TOKEN_VAR";
    ::setenv("RAYCL_UNIT_TOKEN_VAR", "  tok-1 \n", 1);
    BOOST_TEST(context_token(entry) == "tok-1");
    ::unsetenv("RAYCL_UNIT_TOKEN_VAR");
    auto error = [&] {
        try {
            context_token(entry);
        } catch (const client_error& e) {
            return std::string(e.message());
        }
        return std::string("no error");
    };
    BOOST_TEST(error() == "context 'c': environment variable RAYCL_UNIT_TOKEN_VAR (token-env) is not set");
    entry.token_env.reset();
    entry.token_file = "/nonexistent/token";
    BOOST_TEST(error() == "context 'c': cannot read token-file /nonexistent/token");
    char path[] = "/tmp/raycl-cli-token-XXXXXX";
    const int fd = ::mkstemp(path);
    ::close(fd);
    entry.token_file = path;
    BOOST_TEST(error() == std::string("context 'c': token-file ") + path + " is empty");
    std::ofstream(path) << "file-token\n";
    BOOST_TEST(context_token(entry) == "file-token");
    ::unlink(path);
}

BOOST_AUTO_TEST_CASE(precedence_of_connection_settings) {
    context_entry prod;
    prod.name = "prod";
    prod.address = "https://prod";
    prod.token_env = "PROD_TOKEN";
    prod.headers = {{"X-Team", "ml"}, {"X-Keep", "1"}};
    prod.ca_file = "/ca.pem";
    prod.insecure = true;
    connection_sources sources;
    sources.context = prod;
    sources.context_origin = "current-context";
    sources.local_cluster = cluster_env{"http://local", "local-token"};
    sources.env_file = "/tmp/e";
    auto c = resolve_connection(sources);
    BOOST_TEST(c.address == "https://prod");
    BOOST_TEST(c.context == "prod");
    BOOST_TEST(c.token_context.has_value());
    BOOST_TEST(!c.discover_token);
    BOOST_TEST(*c.ca_file == "/ca.pem");
    BOOST_TEST(c.insecure);
    BOOST_TEST(c.headers.size() == 2u);
    sources.global.headers = {{"x-team", "web"}};  // a flag replaces the context's header of that name
    c = resolve_connection(sources);
    BOOST_TEST(c.headers.size() == 2u);
    BOOST_TEST(c.headers.at(0).first == "X-Keep");
    BOOST_TEST(c.headers.at(1).second == "web");
    sources.token_in_environment = true;  // RAY_AUTH_TOKEN beats the context's token
    c = resolve_connection(sources);
    BOOST_TEST(!c.token_context.has_value());
    BOOST_TEST(c.discover_token);
    sources.token_in_environment = false;
    sources.ray_address_env = "http://env";  // the environment beats the context: nothing of it applies
    c = resolve_connection(sources);
    BOOST_TEST(c.address == "http://env");
    BOOST_TEST(!c.token_context.has_value());
    BOOST_TEST(!c.ca_file.has_value());
    BOOST_TEST(c.headers.size() == 1u);
    BOOST_TEST(c.discover_token);
    sources.global.address = "http://flag";
    BOOST_TEST(resolve_connection(sources).address == "http://flag");
    sources.global.address.reset();
    sources.ray_address_env = nullptr;
    sources.context.reset();
    c = resolve_connection(sources);
    BOOST_TEST(c.address == "http://local");
    BOOST_TEST(c.token == "local-token");
    sources.local_cluster.reset();
    c = resolve_connection(sources);
    BOOST_TEST(c.address.empty());
    BOOST_TEST(c.address_source == "default");
    BOOST_TEST(c.discover_token);
    // Choosing the context: --context, then RAYCL_CONTEXT, then current-context.
    context_file file;
    file.path = "/c.yaml";
    file.exists = true;
    file.config.current = "prod";
    file.config.contexts = {prod};
    context_entry dev = prod;
    dev.name = "dev";
    file.config.contexts.push_back(dev);
    std::string origin;
    BOOST_TEST(choose_context(file, std::string("dev"), "prod", origin)->name == "dev");
    BOOST_TEST(origin == "--context");
    BOOST_TEST(choose_context(file, std::nullopt, "dev", origin)->name == "dev");
    BOOST_TEST(origin == "RAYCL_CONTEXT");
    BOOST_TEST(choose_context(file, std::nullopt, "", origin)->name == "prod");
    BOOST_TEST(origin == "current-context");
    BOOST_CHECK_THROW(choose_context(file, std::string("nope"), nullptr, origin), client_error);
    file.config.current.reset();
    BOOST_TEST(!choose_context(file, std::nullopt, nullptr, origin).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_follow_and_watch_pure)

BOOST_AUTO_TEST_CASE(selection_prefixes_lines_and_exit_codes) {
    job_details running;
    running.submission_id = "r";
    running.status = job_status::running;
    running.status_text = "RUNNING";
    running.raw = json::parse(R"({"metadata": {"team": "ml", "tier": "gold"}})").as_object();
    job_details done = running;
    done.status = job_status::succeeded;
    done.status_text = "SUCCEEDED";
    job_details driver = running;
    driver.submission_id.reset();
    BOOST_TEST(selects({}, running, false));
    BOOST_TEST(!selects({}, done, false));  // by default only jobs that have not ended
    BOOST_TEST(selects({}, done, true));    // ... but one that appeared and ended between two listings counts
    BOOST_TEST(!selects({}, driver, false));
    BOOST_TEST(selects({{{"team", "ml"}, {"tier", "gold"}}, {}}, running, false));
    BOOST_TEST(!selects({{{"team", "ml"}, {"tier", "silver"}}, {}}, running, false));
    BOOST_TEST(selects({{}, {"SUCCEEDED"}}, done, false));
    BOOST_TEST(!selects({{}, {"SUCCEEDED"}}, running, true));
    BOOST_TEST(line_prefix("a", 0, false) == "[a] ");
    BOOST_TEST(line_prefix("a", 0, true) == "\033[36m[a]\033[0m ");
    BOOST_TEST(line_prefix("a", 6, true) == line_prefix("a", 0, true));  // six colours, then again
    line_joiner joiner;
    BOOST_TEST(!joiner.add({"part one ", false, line_kind::piece, 0}));
    BOOST_TEST(*joiner.add({"part two", true, line_kind::piece, 9}) == "part one part two");
    BOOST_TEST(!joiner.finish());
    BOOST_TEST(!joiner.add({"last", false, line_kind::whole, 17}));
    BOOST_TEST(*joiner.finish() == "last");
    BOOST_TEST(combined_exit_code({{"a", job_status::succeeded}, {"b", job_status::succeeded}}) == 0);
    BOOST_TEST(combined_exit_code({{"a", job_status::succeeded}, {"b", job_status::stopped}}) == 1);
    BOOST_TEST(combined_exit_code({{"a", job_status::failed}, {"b", std::nullopt}}) == 3);
    BOOST_TEST(combined_exit_code({}) == 0);
    BOOST_TEST(follow_progress(2, 1, {{"a", job_status::succeeded}, {"b", job_status::failed}}) ==
               "following 5 jobs: 2 running, 1 queued, 1 succeeded, 1 failed");
}

BOOST_AUTO_TEST_CASE(watch_changes_and_redraw) {
    const auto changes = watch_changes({"a", "b", "c"}, {"a1", "b1", "c1"}, {"a", "c", "d"}, {"a1", "c2", "d1"});
    BOOST_REQUIRE(changes.size() == 3u);
    BOOST_TEST((changes[0].type == watch_change::kind::modified && changes[0].key == "c" && changes[0].row == 1));
    BOOST_TEST((changes[1].type == watch_change::kind::added && changes[1].key == "d"));
    BOOST_TEST((changes[2].type == watch_change::kind::deleted && changes[2].key == "b"));
    BOOST_TEST(watch_changes({}, {}, {"x"}, {"x1"}).size() == 1u);
    BOOST_TEST(std::string(to_string(watch_change::kind::deleted)) == "DELETED");
    std::size_t drawn = 0;
    BOOST_TEST(redraw_frame("l1\nl2\n", 0, 24, drawn) == "l1\nl2\n");
    BOOST_TEST(drawn == 2u);
    BOOST_TEST(redraw_frame("m1\nm2\nm3\n", 2, 3, drawn) == "\033[2A\r\033[Jm1\nm2\n");  // cut to height - 1
    BOOST_TEST(drawn == 2u);
}

BOOST_AUTO_TEST_CASE(text_helpers) {
    BOOST_TEST(trim("  a b \r\n") == "a b");
    BOOST_TEST(trim(" \t ").empty());
    BOOST_TEST(to_lower("X-Ray-AUTH") == "x-ray-auth");
    BOOST_TEST((split_lines("a\n\nb\n") == std::vector<std::string_view>{"a", "", "b"}));
    BOOST_TEST((split_lines("a") == std::vector<std::string_view>{"a"}));
    BOOST_TEST(parse_header("X-A:  b c ", "--header").second == "b c");
    BOOST_CHECK_THROW(parse_header("a b: c", "--header"), invalid_value);
    BOOST_TEST(parse_key_value("k=v=w", "--selector").second == "v=w");
    BOOST_CHECK_THROW(parse_key_value("=v", "--selector"), invalid_value);
    BOOST_TEST(join_alternatives({"a", "b", "c"}) == "a, b or c");
    BOOST_TEST(parse_integer_in("5", "--n", 1, 9) == 5);
    BOOST_CHECK_THROW(parse_integer_in("10", "--n", 1, 9), invalid_value);
    BOOST_CHECK_THROW(parse_positive("-1", "--t"), invalid_value);
    BOOST_CHECK_THROW(parse_number("nan", "--t"), invalid_value);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli
