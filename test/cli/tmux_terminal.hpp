// raycl in a real terminal for the CLI tests: a tmux pane on a private tmux server, read with
// `capture-pane`. Every check polls the screen for the expected content with a bound.
#pragma once

#include "run_binary.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace raycl::cli::test {

/// `word` quoted for the pane's shell line.
inline std::string shell_quoted(const std::string& word) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// raycl running in a tmux pane of 100x30 on a private tmux server.
class terminal {
public:
    /// `shell_tail` follows the raycl command in the pane's shell line (e.g. "2>&1 | cat").
    terminal(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
             const std::string& shell_tail = "") {
        static std::atomic<int> counter{0};
        socket_ = "raycl-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        std::string line = "cd /tmp &&";
        for (const auto& [name, value] : env) line += " " + name + "=" + shell_quoted(value);
        line += " " + shell_quoted(raycl::test::cli_binary());
        for (const auto& arg : args) line += " " + shell_quoted(arg);
        line += " " + shell_tail + "; echo \"[exit $?]\"; sleep 600";
        const auto r = tmux({"new-session", "-d", "-x", "100", "-y", "30", "-s", "t", line});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "tmux new-session: " << r.err);
    }
    ~terminal() { tmux({"kill-server"}); }

    /// The screen; with `escapes`, with its colour sequences.
    std::string screen(bool escapes = false) const {
        std::vector<std::string> args = {"capture-pane", "-p", "-J", "-t", "t"};
        if (escapes) args.push_back("-e");
        return tmux(args).out;
    }

    /// Polls the screen (every 20 ms, at most `bound`) until `condition` holds; returns it.
    std::string wait_for(const std::function<bool(const std::string&)>& condition, bool escapes = false,
                         std::chrono::milliseconds bound = std::chrono::milliseconds(15000)) const {
        const auto deadline = std::chrono::steady_clock::now() + bound;
        std::string now;
        do {
            now = screen(escapes);
            if (condition(now)) return now;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } while (std::chrono::steady_clock::now() < deadline);
        BOOST_FAIL("the screen never showed what was expected:\n" << now);
        return now;
    }
    std::string wait_for_text(const std::string& text, bool escapes = false) const {
        return wait_for([&](const std::string& s) { return s.find(text) != std::string::npos; }, escapes);
    }

private:
    cli_result tmux(std::vector<std::string> args) const {
        args.insert(args.begin(), {"-L", socket_, "-f", "/dev/null"});
        cli_run_options options;
        options.env = {{"TERM", "xterm-256color"}};
        options.timeout = std::chrono::milliseconds(10000);
        return run_program("/usr/bin/tmux", args, options);
    }
    std::string socket_;
};

}  // namespace raycl::cli::test
