// Exit codes of the raycl CLI (README: "Exit codes"). Pure code.
#pragma once

#include <raycl/models.hpp>

namespace raycl::cli {

/// Exit codes of the CLI.
namespace exit_code {
inline constexpr int ok = 0;             ///< success; a waited-for job SUCCEEDED
inline constexpr int job_failed = 1;     ///< a waited-for job ended FAILED or STOPPED
inline constexpr int usage = 2;          ///< bad command line
inline constexpr int error = 3;          ///< a request failed (client_error)
inline constexpr int interrupted = 130;  ///< Ctrl-C while following or waiting
}  // namespace exit_code

/// Exit code for a job that the command waited for: 0 SUCCEEDED, 1 FAILED/STOPPED, 3 otherwise.
inline int exit_code_for(job_status status) noexcept {
    switch (status) {
        case job_status::succeeded:
            return exit_code::ok;
        case job_status::failed:
        case job_status::stopped:
            return exit_code::job_failed;
        default:
            return exit_code::error;
    }
}

}  // namespace raycl::cli
