// Terminal detection (see terminal.hpp).
#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace raycl::cli {
namespace {

bool colour_allowed(bool is_terminal) {
    const char* no_colour = std::getenv("NO_COLOR");  // https://no-color.org: set and not empty
    const char* term = std::getenv("TERM");
    return is_terminal && !(no_colour && *no_colour) && !(term && std::string_view(term) == "dumb");
}

}  // namespace

terminal terminal::detect() {
    terminal t;
    t.stdout_is_terminal = ::isatty(STDOUT_FILENO) == 1;
    t.stderr_is_terminal = ::isatty(STDERR_FILENO) == 1;
    t.colour_stdout = colour_allowed(t.stdout_is_terminal);
    t.colour_stderr = colour_allowed(t.stderr_is_terminal);
    winsize size{};
    if (t.stdout_is_terminal && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
        if (size.ws_col >= 40) t.width = size.ws_col;
        if (size.ws_row >= 5) t.height = size.ws_row;
    }
    return t;
}

}  // namespace raycl::cli
