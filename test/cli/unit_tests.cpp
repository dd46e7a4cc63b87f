// Unit tests of the CLI's pure code: argument parsing, formatting, connection settings.
#include "args.hpp"
#include "parse_helpers.hpp"
#include "config.hpp"
#include "format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace raycl::cli {
namespace {

using test::parse;
using test::usage_of;

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_args)

BOOST_AUTO_TEST_CASE(global_options_anywhere) {
    const auto cmd = parse({"job", "--address", "http://h:1", "list", "--output=json", "--header", "X-A:  b c",
                            "--timeout", "2.5", "--verbose", "--token", "t"});
    BOOST_TEST((cmd.kind == command_kind::job_list));
    BOOST_TEST(*cmd.global.address == "http://h:1");
    BOOST_TEST((cmd.global.output == output_format::json));
    BOOST_TEST(cmd.global.headers.at(0).first == "X-A");
    BOOST_TEST(cmd.global.headers.at(0).second == "b c");
    BOOST_TEST(*cmd.global.timeout == 2.5);
    BOOST_TEST(cmd.global.verbose);
    BOOST_TEST(*cmd.global.token == "t");
}

BOOST_AUTO_TEST_CASE(job_submit_flags) {
    const auto cmd = parse({"job",
                            "submit",
                            "--submission-id",
                            "s1",
                            "--runtime-env-json",
                            R"({"pip": ["x"]})",
                            "--metadata-json",
                            R"({"k": "v"})",
                            "--entrypoint-num-cpus",
                            "0.5",
                            "--entrypoint-num-gpus=1",
                            "--entrypoint-memory",
                            "1000",
                            "--entrypoint-resources",
                            R"({"r": 2})",
                            "--no-wait",
                            "--",
                            "python",
                            "-c",
                            "print('a b')",
                            "--help"});
    BOOST_TEST((cmd.kind == command_kind::job_submit));
    BOOST_TEST(*cmd.submission_id == "s1");
    BOOST_TEST(cmd.runtime_env->at("pip").as_array().size() == 1u);
    BOOST_TEST(cmd.metadata->at("k") == "v");
    BOOST_TEST(*cmd.entrypoint_num_cpus == 0.5);
    BOOST_TEST(*cmd.entrypoint_num_gpus == 1.0);
    BOOST_TEST(*cmd.entrypoint_memory == 1000);
    BOOST_TEST(cmd.entrypoint_resources->at("r") == 2.0);
    BOOST_TEST(cmd.no_wait);
    BOOST_TEST(cmd.entrypoint.size() == 4u);  // "--help" after "--" belongs to the entrypoint
    BOOST_TEST(join_entrypoint(cmd.entrypoint) == "python -c 'print('\\''a b'\\'')' --help");
    BOOST_TEST(join_entrypoint({"echo hi | tee x"}) == "echo hi | tee x");
}

BOOST_AUTO_TEST_CASE(job_and_state_commands) {
    auto logs = parse({"job", "logs", "j1", "--follow", "--protocol", "websocket", "--stream-timeout", "3"});
    BOOST_TEST((logs.kind == command_kind::job_logs));
    BOOST_TEST(logs.target == "j1");
    BOOST_TEST(logs.follow);
    BOOST_TEST((logs.protocol == tail_protocol::websocket));
    BOOST_TEST(*logs.stream_timeout == 3.0);
    BOOST_TEST(parse({"job", "stop", "j1", "--wait"}).wait);
    BOOST_TEST((parse({"job", "wait", "j1", "--timeout", "5"}).kind == command_kind::job_wait));
    auto tasks = parse({"task", "list", "--limit", "5", "--filter", "name=f", "--filter", "state!=FAILED", "--detail"});
    BOOST_TEST(*tasks.limit == 5);
    BOOST_TEST(tasks.filters.size() == 2u);
    BOOST_TEST(tasks.filters[1].key == "state");
    BOOST_TEST(tasks.filters[1].predicate == "!=");
    BOOST_TEST(tasks.detail);
    BOOST_TEST((parse({"serve", "deploy", "c.json"}).kind == command_kind::serve_deploy));
    BOOST_TEST((parse({"version"}).kind == command_kind::version));
    auto up = parse({"cluster", "up", "--workers", "0", "--auth", "disabled"});
    BOOST_TEST(up.workers == 0);
    BOOST_TEST(up.auth == "disabled");
}

BOOST_AUTO_TEST_CASE(help_and_version) {
    BOOST_TEST((parse({"--version"}).kind == command_kind::print_version));
    const auto help = parse({"job", "submit", "--help"});
    BOOST_TEST((help.kind == command_kind::help));
    BOOST_TEST(help.help_text.find("--entrypoint-num-cpus") != std::string::npos);
    BOOST_TEST(parse({"task", "-h"}).help_text.find("--filter") != std::string::npos);
    BOOST_TEST(parse({"--help"}).help_text.find("Commands:") != std::string::npos);
    // --help wins over otherwise bad arguments of the same level
    BOOST_TEST((parse({"job", "status", "--help"}).kind == command_kind::help));
}

BOOST_AUTO_TEST_CASE(usage_errors) {
    BOOST_TEST(usage_of({}) == 2);
    BOOST_TEST(usage_of({"bogus"}) == 2);
    BOOST_TEST(usage_of({"job"}) == 2);
    BOOST_TEST(usage_of({"job", "bogus"}) == 2);
    BOOST_TEST(usage_of({"job", "list", "--bogus"}) == 2);
    BOOST_TEST(usage_of({"job", "list", "extra"}) == 2);
    BOOST_TEST(usage_of({"job", "status"}) == 2);
    BOOST_TEST(usage_of({"job", "submit"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--runtime-env-json", "{bad", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--runtime-env-json", "[1]", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--metadata-json", R"({"k": 1})", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--entrypoint-resources", R"({"r": "x"})", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--entrypoint-num-cpus", "many", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "list", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "logs", "j", "--protocol", "udp"}) == 2);
    BOOST_TEST(usage_of({"task", "list", "--limit", "0"}) == 2);
    BOOST_TEST(usage_of({"task", "list", "--filter", "novalue"}) == 2);
    BOOST_TEST(usage_of({"--output", "xml", "job", "list"}) == 2);
    BOOST_TEST(usage_of({"--timeout", "-1", "job", "list"}) == 2);
    BOOST_TEST(usage_of({"--header", "nocolon", "job", "list"}) == 2);
    BOOST_TEST(usage_of({"--address"}) == 2);
    BOOST_TEST(usage_of({"job", "list", "--follow"}) == 2);  // another command's flag
    BOOST_TEST(usage_of({"cluster", "up", "--workers", "9"}) == 2);
    try {
        parse({"job", "submit", "--bogus"});
        BOOST_FAIL("no usage error");
    } catch (const usage_error& e) {
        BOOST_TEST(e.help_command() == "raycl job submit");
        BOOST_TEST(format_usage_error(e) == "raycl: unknown option '--bogus'\nTry 'raycl job submit --help'.\n");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_format)

BOOST_AUTO_TEST_CASE(tables_fit_80_columns) {
    table t{{"ID", "STATUS", "TEXT"},
            {{"id-1", "SUCCEEDED", std::string(200, 'x')}, {"id-22", "FAILED", "é short"}},
            {false, false, true},
            1};
    const auto text = render_table(t, 80, false);
    std::size_t lines = 0;
    for (std::size_t start = 0; start < text.size();) {
        const auto end = text.find('\n', start);
        BOOST_TEST(display_width(text.substr(start, end - start)) <= 80u);
        start = end + 1;
        ++lines;
    }
    BOOST_TEST(lines == 3u);
    BOOST_TEST(text.find("...") != std::string::npos);
    BOOST_TEST(text.find("\033[") == std::string::npos);
    BOOST_TEST(text.rfind("ID     STATUS     TEXT", 0) == 0);
    const auto coloured = render_table(t, 80, true);
    BOOST_TEST(coloured.find("\033[32mSUCCEEDED\033[0m") != std::string::npos);
    BOOST_TEST(coloured.find("\033[31mFAILED\033[0m") != std::string::npos);
    BOOST_TEST(one_line("a\nb\tc\033") == "a b c ");
    BOOST_TEST(shorten("abcdef", 5) == "ab...");
}

BOOST_AUTO_TEST_CASE(errors_and_exit_codes) {
    BOOST_TEST(format_error(404, "Job x does not exist\nmore", output_format::table) ==
               "raycl: error 404: Job x does not exist more\n");
    const auto doc = boost::json::parse(format_error(503, "down \"quoted\"", output_format::json));
    BOOST_TEST(doc.at("error").at("status").as_int64() == 503);
    BOOST_TEST(doc.at("error").at("message").as_string() == "down \"quoted\"");
    BOOST_TEST(exit_code_for(job_status::succeeded) == 0);
    BOOST_TEST(exit_code_for(job_status::failed) == 1);
    BOOST_TEST(exit_code_for(job_status::stopped) == 1);
    BOOST_TEST(exit_code_for(job_status::running) == 3);
    BOOST_TEST(format_elapsed(std::chrono::seconds(125)) == "2m05s");
    BOOST_TEST(spinner_line(1, std::chrono::seconds(3), "waiting for j", "RUNNING", false) ==
               "/ waiting for j  3s  RUNNING");
}

BOOST_AUTO_TEST_CASE(objects_and_raw_arrays) {
    boost::json::object job{{"status", "FAILED"}, {"runtime_env", boost::json::object{{"a", 1}}}, {"message", nullptr}};
    const auto text = render_object(job, 80, false);
    BOOST_TEST(text == "status       FAILED\nruntime_env  {\"a\":1}\nmessage      -\n");
    std::vector<job_details> jobs(2);
    jobs[0].raw = boost::json::object{{"x", 1}};
    BOOST_TEST(boost::json::serialize(raw_array(jobs)) == "[{\"x\":1},{}]");
}

BOOST_AUTO_TEST_CASE(connection_precedence) {
    const auto env =
        parse_cluster_env("# c\nexport RAYCL_TEST_ADDRESS=http://127.0.0.1:8365\nexport RAYCL_TEST_TOKEN=abc\n");
    BOOST_REQUIRE(env.has_value());
    BOOST_TEST(env->token == "abc");
    BOOST_TEST(!parse_cluster_env("export RAYCL_TEST_TOKEN=abc\n").has_value());
    global_options none;
    auto c = resolve_connection(none, nullptr, env, "f");
    BOOST_TEST(c.address == "http://127.0.0.1:8365");
    BOOST_TEST(c.token == "abc");
    BOOST_TEST(!c.discover_token);
    c = resolve_connection(none, "http://r:1", env, "f");
    BOOST_TEST(c.address == "http://r:1");
    BOOST_TEST(c.discover_token);
    global_options explicit_options;
    explicit_options.address = "http://a:1";
    explicit_options.token = "t";
    c = resolve_connection(explicit_options, "http://r:1", env, "f");
    BOOST_TEST(c.address == "http://a:1");
    BOOST_TEST(c.token == "t");
    c = resolve_connection(none, "", std::nullopt, "f");
    BOOST_TEST(c.address.empty());
    BOOST_TEST(c.discover_token);
    BOOST_TEST(cluster_script_candidates("/src", "/p/bin", "").at(1) == "/p/bin/../share/raycl/scripts/ray-cluster.sh");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli
