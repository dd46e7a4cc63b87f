// Runs the built `raycl` binary (raycl::test::cli_binary()) with captured stdout, stderr and exit code.
#pragma once

#include "support/test_paths.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace raycl::cli::test {

struct cli_result {
    int exit_code = -1;
    std::string out;
    std::string err;
    double seconds = 0;
};

struct cli_run_options {
    std::map<std::string, std::string> env;  ///< added to (or replacing) the clean environment
    std::string stdin_text;
    /// Sends SIGINT once this returns true for the stdout so far.
    std::function<bool(const std::string&)> interrupt_when;
    /// Called with the stdout so far each time it grows (e.g. to break a cluster at a point).
    std::function<void(const std::string&)> on_stdout;
    std::chrono::milliseconds timeout{60000};
};

/// The parent's environment without anything that points raycl at a cluster or a token, with
/// HOME in an empty directory and no local default cluster.
inline std::vector<std::string> clean_environment(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq == std::string::npos) continue;
        env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const char* name : {"RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "NO_COLOR"}) env.erase(name);
    env["HOME"] = "/nonexistent-raycl-cli-home";
    env["RAYCL_DEFAULT_ENV_FILE"] = "/nonexistent-raycl-cli/raycl.env";
    for (const auto& [k, v] : extra) env[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

/// Runs `program args...` in the clean environment, as run_cli runs raycl.
inline cli_result run_program(const std::string& program, const std::vector<std::string>& args,
                              const cli_run_options& options = {}) {
    int out_pipe[2], err_pipe[2], in_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC) || ::pipe2(in_pipe, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    auto env_strings = clean_environment(options.env);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    ::close(in_pipe[0]);
    if (rc != 0) throw std::runtime_error(std::string("posix_spawn failed: ") + std::strerror(rc));
    if (!options.stdin_text.empty()) {
        [[maybe_unused]] auto n = ::write(in_pipe[1], options.stdin_text.data(), options.stdin_text.size());
    }
    ::close(in_pipe[1]);

    cli_result result;
    bool interrupted = false, killed = false;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        const auto elapsed = std::chrono::steady_clock::now() - start;
        if (!killed && elapsed > options.timeout) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        if (::poll(fds, 2, 50) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buffer[65536];
            const auto n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
                continue;
            }
            (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
            if (i == 0 && options.on_stdout) options.on_stdout(result.out);
        }
        if (options.interrupt_when && !interrupted && options.interrupt_when(result.out)) {
            ::kill(pid, SIGINT);
            interrupted = true;
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

inline cli_result run_cli(const std::vector<std::string>& args, const cli_run_options& options = {}) {
    return run_program(raycl::test::cli_binary(), args, options);
}

}  // namespace raycl::cli::test
