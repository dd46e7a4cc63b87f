// Component tests of shell completion: the scripts run in real bash (its completion variables
// set as readline sets them), fish (`complete -C`) and zsh (the script loads under compinit),
// job ids from the cluster of the current context within a short timeout and silence on
// failure, and the man page.
#include "run_binary.hpp"
#include "support/fake_dashboard.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace raycl::cli::test {
namespace {

namespace fs = std::filesystem;
using raycl::test::fake_dashboard;
using raycl::test::reply;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A directory with `raycl` (a link to the built binary) and the three completion scripts.
struct shell_home {
    shell_home() {
        char pattern[] = "/tmp/raycl-cli-shell-XXXXXX";
        root = ::mkdtemp(pattern);
        fs::create_symlink(raycl::test::cli_binary(), root + "/raycl");
        for (const char* shell : {"bash", "zsh", "fish"}) {
            const auto r = run_cli({"completion", shell});
            std::ofstream(root + "/raycl." + shell) << r.out;
        }
        std::ofstream(root + "/config.yaml");
        fs::create_directories(root + "/xdg/raycl");
        std::ofstream(root + "/xdg/raycl/config.yaml") << "contexts:\n  prod:\n    address: http://127.0.0.1:1\n"
                                                          "  staging:\n    address: http://127.0.0.1:2\n";
        fs::permissions(root + "/xdg/raycl/config.yaml", fs::perms::owner_read | fs::perms::owner_write);
    }
    ~shell_home() { fs::remove_all(root); }

    /// Runs `shell -c script` with PATH starting at this directory.
    cli_result shell(const std::string& program, const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {"-c", "exec \"$@\"", "sh", program};
        argv.insert(argv.end(), args.begin(), args.end());
        cli_run_options options;
        options.env = {{"PATH", root + ":/usr/bin:/bin"}, {"XDG_CONFIG_HOME", root + "/xdg"}};
        return run_program("/bin/sh", argv, options);
    }

    /// COMPREPLY of bash for the line typed so far.
    std::vector<std::string> bash_complete(const std::string& line) const {
        // COMP_WORDS as readline splits (COMP_WORDBREAKS has '=' and ':').
        const std::string script =
            "source " + root +
            "/raycl.bash\n"
            "COMP_LINE=$1; COMP_POINT=${#COMP_LINE}\n"
            "read -r -a COMP_WORDS <<<\"${COMP_LINE//=/ = }\"\n"
            "[[ $COMP_LINE =~ [[:space:]]$ ]] && COMP_WORDS+=(\"\")\n"
            "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
            "[[ ${COMP_WORDS[COMP_CWORD]} == \"=\" ]] && COMP_WORDS+=(\"\") && COMP_CWORD=$((COMP_CWORD + 1))\n"
            "_raycl_complete\n"
            "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        const auto r = shell("bash", {"-c", script, "bash", line});
        BOOST_TEST(r.exit_code == 0, r.err);
        std::vector<std::string> out;
        std::istringstream in(r.out);
        for (std::string word; std::getline(in, word);) {
            if (!word.empty()) out.push_back(word);
        }
        return out;
    }

    std::string root;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_completion)

BOOST_AUTO_TEST_CASE(bash_completes_commands_flags_and_values) {
    shell_home home;
    BOOST_TEST((home.bash_complete("raycl jo") == std::vector<std::string>{"job"}));
    BOOST_TEST((home.bash_complete("raycl job s") == std::vector<std::string>{"submit", "status", "stop"}));
    BOOST_TEST((home.bash_complete("raycl job logs --pro") == std::vector<std::string>{"--protocol"}));
    BOOST_TEST((home.bash_complete("raycl job logs --protocol w") == std::vector<std::string>{"websocket"}));
    BOOST_TEST((home.bash_complete("raycl job list --output=y") == std::vector<std::string>{"yaml"}));
    BOOST_TEST((home.bash_complete("raycl --context ") == std::vector<std::string>{"prod", "staging"}));
    BOOST_TEST((home.bash_complete("raycl context use s") == std::vector<std::string>{"staging"}));
    BOOST_TEST((home.bash_complete("raycl completion ") == std::vector<std::string>{"bash", "zsh", "fish"}));
    const auto files = home.bash_complete("raycl serve deploy " + home.root + "/raycl.ba");
    BOOST_TEST((files == std::vector<std::string>{home.root + "/raycl.bash"}));
}

BOOST_AUTO_TEST_CASE(fish_and_zsh_load_and_complete) {
    shell_home home;
    if (!fs::exists("/usr/bin/fish") || !fs::exists("/usr/bin/zsh")) {
        BOOST_FAIL("fish and zsh are needed (scripts/setup-deps.sh installs them)");
    }
    auto r = home.shell("fish", {"--no-config", "-c",
                                 "source " + home.root +
                                     "/raycl.fish; complete -C 'raycl job lo'; "
                                     "complete -C 'raycl job list --output='; complete -C 'raycl --context p'"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "logs\tprint or follow the logs of jobs\n"), r.out);
    BOOST_TEST((contains(r.out, "--output=json\n") || contains(r.out, "--output=json\t")), r.out);
    BOOST_TEST(contains(r.out, "prod"), r.out);
    r = home.shell("zsh", {"-f", "-c",
                           "autoload -U compinit && compinit -u -D && source " + home.root +
                               "/raycl.zsh && whence -w _raycl && print -r -- ${_comps[raycl]}"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "_raycl: function\n_raycl\n", r.out);
    r = home.shell("raycl", {"__complete", "--shell", "zsh", "--", "job", "list", "--output=j"});
    BOOST_TEST(r.out == "--output=json\t\n");
}

BOOST_AUTO_TEST_CASE(job_ids_come_from_the_cluster_quickly_or_not_at_all) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, R"([{"type": "SUBMISSION", "submission_id": "raysubmit_abc", "status": "RUNNING",
                                          "entrypoint": "python train.py"},
                                         {"type": "DRIVER", "submission_id": null, "status": "RUNNING", "entrypoint": "x"}])"))
        .repeatedly();
    auto r = run_cli({"__complete", "--shell", "fish", "--", "--address", dashboard.address(), "job", "logs", "ray"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "raysubmit_abc\tRUNNING  python train.py\n");
    // Through the current context, as a user types it.
    char pattern[] = "/tmp/raycl-cli-complete-XXXXXX";
    const std::string xdg = ::mkdtemp(pattern);
    fs::create_directories(xdg + "/raycl");
    std::ofstream(xdg + "/raycl/config.yaml")
        << "current-context: fake\ncontexts:\n  fake:\n    address: " << dashboard.address() << "\n";
    fs::permissions(xdg + "/raycl/config.yaml", fs::perms::owner_read | fs::perms::owner_write);
    cli_run_options with_config;
    with_config.env = {{"XDG_CONFIG_HOME", xdg}};
    r = run_cli({"__complete", "--shell", "bash", "--", "job", "status", ""}, with_config);
    BOOST_TEST(r.out == "raysubmit_abc\n");
    fs::remove_all(xdg);
    // Nothing listening: nothing printed, exit 0, fast.
    r = run_cli({"__complete", "--shell", "bash", "--", "--address", "http://127.0.0.1:1", "job", "status", ""});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(r.err.empty());
    // A dashboard that never answers: the same within the short timeout.
    fake_dashboard stalled;
    stalled.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, "[]").with_fault(raycl::test::fault::stall_before_headers));
    r = run_cli({"__complete", "--shell", "zsh", "--", "--address", stalled.address(), "job", "wait", ""});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(r.err.empty());
    BOOST_TEST(r.seconds < 5.0);
}

BOOST_AUTO_TEST_CASE(manual_page_and_scripts_from_the_binary) {
    auto r = run_cli({"__manpage"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.rfind(".TH RAYCL 1", 0) == 0);
    BOOST_TEST(contains(r.out, ".SS \"raycl job logs [options] [ID...]\""));
    for (const char* shell : {"bash", "zsh", "fish"}) {
        r = run_cli({"completion", shell});
        BOOST_TEST(r.exit_code == 0);
        BOOST_TEST(contains(r.out, "__complete --shell " + std::string(shell)));
    }
    r = run_cli({"completion", "powershell"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err == "raycl: SHELL must be bash, zsh or fish, got 'powershell'\nTry 'raycl completion --help'.\n");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
