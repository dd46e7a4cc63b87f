// The process plumbing of the programs that measure a raycl client apart from its peer
// (test/soak/main.cpp: the fake dashboard and the chaos proxy; bench/real_tails.cpp: a counting
// proxy): the peer runs in a forked child, so that the CPU, RSS and descriptors the parent
// measures are the client's only; and the figures read from /proc.
#pragma once

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace raycl::soak {

/// Says "<program>: <problem>" and "usage: <program> <synopsis>" on stderr and exits with status 2.
[[noreturn]] inline void usage_exit(const std::string& program, const std::string& problem,
                                    const std::string& synopsis) {
    std::cerr << program << ": " << problem << "\n"
              << "usage: " << program << " " << synopsis << "\n";
    std::exit(2);
}

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); 0 when absent.
inline std::uint64_t status_kib(const std::string& field) {
    std::ifstream status("/proc/self/status");
    const std::string prefix = field + ":";
    for (std::string line; std::getline(status, line);)
        if (line.rfind(prefix, 0) == 0) return std::stoull(line.substr(prefix.size()));
    return 0;
}

/// The descriptors this process has open.
inline std::uint64_t open_fds() {
    std::uint64_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n > 0 ? n - 1 : 0;  // the iterator's own descriptor
}

inline double seconds_of(const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
}

/// The peer process, seen from the parent: write to (or close) `control` to stop it; read what
/// it reports from `report`.
struct forked_peer {
    pid_t pid = -1;
    int control = -1;
    FILE* report = nullptr;
};

/// Writes `line` to the parent; throws std::runtime_error when it cannot.
inline void report_line(int report, const std::string& line) {
    if (::write(report, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        throw std::runtime_error("cannot write to the parent");
}

/// Blocks until the parent writes to `control` or closes it.
inline void wait_for_parent(int control) {
    char c = 0;
    while (::read(control, &c, 1) < 0 && errno == EINTR) {}
}

/// Forks; the child (killed when the parent dies) runs `serve(control, report)`, which reports
/// what the parent waits for (report_line), waits for the parent (wait_for_parent) and returns
/// its last report; the child writes it and exits 0, or, when `serve` throws, says so on stderr
/// (prefixed by `name`), reports "error" and exits 3. Call it before this process starts any
/// thread (fork copies only the caller). pid -1 when the fork or a pipe failed.
template <class Serve>
forked_peer fork_peer(const char* name, Serve&& serve) {
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
        std::perror("pipe");
        return {};
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("fork");
        return {};
    }
    if (child == 0) {
        ::close(to_child[1]);
        ::close(from_child[0]);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        std::string last;
        int status = 0;
        try {
            last = serve(to_child[0], from_child[1]);
        } catch (const std::exception& e) {
            std::cerr << name << ": " << e.what() << "\n";
            last = "error\n";
            status = 3;
        }
        if (::write(from_child[1], last.data(), last.size()) < 0) status = 3;
        std::_Exit(status);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    return {child, to_child[1], ::fdopen(from_child[0], "r")};
}

}  // namespace raycl::soak
