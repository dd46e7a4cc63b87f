// Component tests of named contexts: managing them, the file's security (0600, atomic, token by
// reference, a canary token never printed, a warning on a file others can read), malformed
// files, missing contexts, a context whose cluster is down, and the precedence of connection
// settings, end to end against fake dashboards.
#include "run_binary.hpp"
#include "support/fake_dashboard.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace raycl::cli::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using raycl::test::fake_dashboard;
using raycl::test::recorded_request;
using raycl::test::reply;

const std::string canary = "canary-CTX-8d2f1e07";
const std::string cookie_canary = "canary-COOKIE-51aa";  // a header value: stored, shown redacted

/// A scratch XDG_CONFIG_HOME, removed at the end.
struct config_home {
    config_home() {
        char pattern[] = "/tmp/raycl-cli-config-XXXXXX";
        root = ::mkdtemp(pattern);
    }
    ~config_home() { fs::remove_all(root); }
    std::string dir() const { return root + "/raycl"; }
    std::string file() const { return dir() + "/config.yaml"; }
    void write(const std::string& text, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) const {
        fs::create_directories(dir());
        std::ofstream(file()) << text;
        fs::permissions(file(), mode);
    }
    std::string root;
};

unsigned mode_of(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<unsigned>(info.st_mode & 0777) : 0u;
}

/// Runs raycl with this config home and extra environment.
cli_result raycl_in(const config_home& home, const std::vector<std::string>& args,
                    std::map<std::string, std::string> env = {}) {
    env["XDG_CONFIG_HOME"] = home.root;
    cli_run_options options;
    options.env = std::move(env);
    return run_cli(args, options);
}

/// A fake answering `GET /api/jobs/` with [] (and counting it); with a token when given.
struct job_server {
    explicit job_server(const std::string& token = {})
        : dashboard(token.empty() ? fake_dashboard::options{} : fake_dashboard::options{}.require_token(token)) {
        dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[]")).repeatedly();
    }
    std::size_t served() const {
        std::size_t n = 0;
        for (const auto& request : dashboard.requests()) n += request.target == "/api/jobs/";
        return n;
    }
    fake_dashboard dashboard;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_contexts)

BOOST_AUTO_TEST_CASE(manage_contexts_in_a_private_file) {
    config_home home;
    const std::string token_file = home.root + "/staging-token";
    std::ofstream(token_file) << canary << "\n";
    const std::map<std::string, std::string> env = {{"PROD_TOKEN", canary}};
    std::string all_output;
    auto run = [&](const std::vector<std::string>& args) {
        auto r = raycl_in(home, args, env);
        all_output += r.out + r.err;
        return r;
    };
    auto r = run({"context", "add", "prod", "--address", "http://127.0.0.1:1", "--token-env", "PROD_TOKEN", "--header",
                  "X-Team: ml", "--header", "Cookie: session=" + cookie_canary});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "context 'prod' added"), r.out);
    BOOST_TEST(mode_of(home.file()) == 0600u);
    BOOST_TEST(mode_of(home.dir()) == 0700u);
    r = run({"context", "add", "staging", "--address=http://127.0.0.1:2", "--token-file", token_file});
    BOOST_TEST(r.exit_code == 0, r.err);
    r = run({"context", "use", "prod"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "switched to context 'prod'\n");
    r = run({"context", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "*        prod     http://127.0.0.1:1  env PROD_TOKEN"), r.out);
    BOOST_TEST(contains(r.out, "file /tmp/raycl-cli-config-"), r.out);
    r = run({"context", "list", "-o", "json"});
    const auto list = json::parse(r.out);
    BOOST_TEST(list.at("current-context").as_string() == "prod");
    BOOST_TEST(list.at("contexts").as_array().size() == 2u);
    r = run({"context", "show"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "token-env  PROD_TOKEN"), r.out);
    BOOST_TEST(contains(r.out, "Cookie: [REDACTED]"), r.out);
    r = run({"context", "show", "staging", "-o", "yaml"});
    BOOST_TEST(contains(r.out, "token-file: " + token_file), r.out);
    BOOST_TEST(contains(r.out, "current: false"), r.out);
    r = run({"context", "remove", "staging"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(mode_of(home.file()) == 0600u);
    // Written atomically: nothing but the file in its directory.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(home.dir())) ++entries;
    BOOST_TEST(entries == 1u);
    std::ifstream file(home.file());
    const std::string text((std::istreambuf_iterator<char>(file)), {});
    BOOST_TEST(contains(text, "token-env: PROD_TOKEN"), text);
    BOOST_TEST(contains(text, "current-context: prod"), text);
    BOOST_TEST(contains(text, "Cookie: session=" + cookie_canary), text);
    BOOST_TEST(!contains(all_output, cookie_canary));
    // A token is never stored: --token is refused (and not echoed).
    r = run({"context", "add", "bad", "--address", "http://127.0.0.1:3", "--token", canary});
    BOOST_TEST(r.exit_code == 2, r.err);
    BOOST_TEST(contains(r.err, "use --token-file or --token-env"), r.err);
    r = run({"context", "add", "no/slash", "--address", "http://127.0.0.1:3"});
    BOOST_TEST(r.exit_code == 2, r.err);
    r = run({"context", "add", "noaddress"});
    BOOST_TEST(r.exit_code == 2, r.err);
    r = run({"context", "add", "badurl", "--address", "ftp://x"});
    BOOST_TEST(r.exit_code == 3, r.err);
    BOOST_TEST(contains(r.err, "raycl: error 400: "), r.err);
    r = run({"context", "use", "nope"});
    BOOST_TEST(r.exit_code == 3, r.err);
    BOOST_TEST(contains(r.err, "raycl: error 404: no context 'nope'"), r.err);
    BOOST_TEST(!contains(text + all_output, canary));
}

BOOST_AUTO_TEST_CASE(precedence_flag_environment_context_local_cluster_default) {
    config_home home;
    job_server context_server(canary), env_server, flag_server, local_server, other_context;
    const std::string local_env = home.root + "/raycl.env";
    std::ofstream(local_env) << "export RAYCL_TEST_ADDRESS=" << local_server.dashboard.address() << "\n";
    home.write("current-context: prod\ncontexts:\n  prod:\n    address: " + context_server.dashboard.address() +
               "\n    token-env: PROD_TOKEN\n  other:\n    address: " + other_context.dashboard.address() + "\n");
    std::map<std::string, std::string> env = {{"PROD_TOKEN", canary}, {"RAYCL_DEFAULT_ENV_FILE", local_env}};
    std::string all_output;
    auto run = [&](std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
        auto e = env;
        for (auto& [k, v] : extra) e[k] = v;
        auto r = raycl_in(home, args, e);
        all_output += r.out + r.err;
        return r;
    };
    // The current context beats the local cluster, and its token (from token-env) is sent.
    auto r = run({"job", "list", "-v"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(context_server.served() == 1u);
    BOOST_TEST(contains(r.err, "(from context prod (current-context))"), r.err);
    BOOST_TEST(contains(r.err, "token from context prod (token-env PROD_TOKEN)"), r.err);
    // The environment beats the current context; the context's token does not go there.
    r = run({"job", "list"}, {{"RAY_ADDRESS", env_server.dashboard.address()}});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(env_server.served() == 1u);
    BOOST_TEST(env_server.dashboard.requests().back().header("authorization").empty());
    BOOST_TEST(r.err.empty(), r.err);  // no warning: the context was not chosen explicitly
    // A flag beats the environment.
    r = run({"--address", flag_server.dashboard.address(), "job", "list"},
            {{"RAY_ADDRESS", env_server.dashboard.address()}});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(flag_server.served() == 1u);
    // --context and RAYCL_CONTEXT choose the context.
    r = run({"--context", "other", "job", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    r = run({"job", "list"}, {{"RAYCL_CONTEXT", "other"}});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(other_context.served() == 2u);
    BOOST_TEST(other_context.dashboard.requests().back().header("authorization").empty());  // it has no token
    // RAY_ADDRESS overrides a chosen context: it wins, with a warning.
    r = run({"--context", "other", "job", "list"}, {{"RAY_ADDRESS", env_server.dashboard.address()}});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(env_server.served() == 2u);
    BOOST_TEST(contains(r.err, "raycl: warning: RAY_ADDRESS overrides the address of context 'other' (--context)"),
               r.err);
    // Tokens: --token, then RAY_AUTH_TOKEN, beat the context's (the context's server refuses both).
    r = run({"--token", "wrong-token-1", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(contains(r.err, "error 403"), r.err);
    r = run({"job", "list"}, {{"RAY_AUTH_TOKEN", "wrong-token-2"}});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(contains(r.err, "error 403"), r.err);
    // Without a current context: the local cluster; without that: the default address.
    home.write("contexts:\n  prod:\n    address: " + context_server.dashboard.address() + "\n");
    r = run({"job", "list", "-v"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(local_server.served() == 1u);
    BOOST_TEST(contains(r.err, "(from local cluster (" + local_env + "))"), r.err);
    r = run({"--timeout", "2", "job", "list", "-v"}, {{"RAYCL_DEFAULT_ENV_FILE", "/nonexistent/raycl.env"}});
    BOOST_TEST(contains(r.err, "raycl: address http://127.0.0.1:8265 (from default)"), r.err);
    BOOST_TEST(!contains(all_output, canary));
}

BOOST_AUTO_TEST_CASE(malformed_files_are_errors_naming_the_line) {
    config_home home;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"contexts:\n  prod: [1,\n", "line 3, column 1: end of sequence flow not found"},
        {"contexts:\n  prod:\n    address: http://h\n    token: " + canary + "\n",
         "line 4, column 12: a token is never stored in the config file: use token-file or token-env"},
        {"contexts:\n  prod:\n    address: http://h\n    token_file: /x\n",
         "line 4, column 17: unknown key 'token_file'"},
        {"contexts:\n  prod:\n    address: http://h\n    insecure: \"yes\"\n",
         "line 4, column 15: insecure must be true or false"},
        {"current-context: staging\ncontexts:\n  prod:\n    address: http://h\n",
         "line 1, column 18: current-context 'staging' names no context"},
        {"contexts:\n  prod:\n    address: http://h\n    token-env: A\n    token-file: /b\n",
         "line 3, column 5: context 'prod' has both token-file and token-env"},
        {"contexts:\n  prod:\n    address: http://h\n  prod:\n    address: http://i\n",
         "line 4, column 3: duplicate key 'prod'"},
        {"- a\n- b\n", "line 1, column 1: the file must be a mapping"},
        {"contexts:\n  prod: {}\n", "line 2, column 9: context 'prod' has no address"},
    };
    for (const auto& [text, message] : cases) {
        home.write(text);
        for (const auto& args : std::vector<std::vector<std::string>>{{"job", "list"}, {"context", "list"}}) {
            const auto r = raycl_in(home, args);
            BOOST_TEST(r.exit_code == 3, text << r.err);
            BOOST_TEST(r.err.rfind("raycl: error 400: " + home.file() + ": " + message, 0) == 0, text << r.err);
            BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
            BOOST_TEST(!contains(r.out + r.err, canary));
        }
    }
}

BOOST_AUTO_TEST_CASE(warnings_missing_contexts_and_a_stopped_cluster) {
    config_home home;
    unsigned short stopped_port = 0;
    {
        fake_dashboard gone;
        stopped_port = gone.port();
    }  // nothing listens there any more: a stopped cluster
    job_server server;
    home.write("current-context: up\ncontexts:\n  up:\n    address: " + server.dashboard.address() +
                   "\n  down:\n    address: http://127.0.0.1:" + std::to_string(stopped_port) +
                   "\n  tokenless:\n    address: " + server.dashboard.address() + "\n    token-env: UNSET_VAR_X\n",
               fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    auto r = raycl_in(home, {"job", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.err == "raycl: warning: " + home.file() + " can be read or changed by other users (mode 0644); run: " +
                            "chmod 600 " + home.file() + "\n");
    fs::permissions(home.file(), fs::perms::owner_read | fs::perms::owner_write);
    r = raycl_in(home, {"--context", "nope", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err ==
               "raycl: error 404: no context 'nope' (--context) in " + home.file() + "; see: raycl context list\n");
    r = raycl_in(home, {"job", "list"}, {{"RAYCL_CONTEXT", "nope"}});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(contains(r.err, "no context 'nope' (RAYCL_CONTEXT)"), r.err);
    r = raycl_in(home, {"--context", "down", "--timeout", "2", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 503: ", 0) == 0, r.err);
    BOOST_TEST(contains(r.err, "(context 'down', http://127.0.0.1:" + std::to_string(stopped_port) + ")\n"), r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    r = raycl_in(home, {"--context", "tokenless", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err ==
               "raycl: error 400: context 'tokenless': environment variable UNSET_VAR_X (token-env) is not set\n");
    // A missing config file with --context names the file that does not exist.
    config_home empty;
    r = raycl_in(empty, {"--context", "prod", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(contains(r.err, empty.file() + ", which does not exist"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
