// Process plumbing: what the standard streams are connected to (terminal or not, colour, size).
#pragma once

#include <cstddef>

namespace raycl::cli {

/// The standard streams of this process, detected once at start.
struct terminal {
    bool stdout_is_terminal = false;
    bool stderr_is_terminal = false;
    bool colour_stdout = false;  ///< a terminal, NO_COLOR unset or empty, TERM not "dumb"
    bool colour_stderr = false;
    std::size_t width = 80;   ///< columns of stdout's terminal (at least 40), else 80
    std::size_t height = 24;  ///< rows of stdout's terminal (at least 5), else 24

    static terminal detect();
};

}  // namespace raycl::cli
