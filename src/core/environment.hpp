// Address and token discovery from options, environment and files (pure through a view).
#pragma once

#include <raycl/options.hpp>

#include <functional>
#include <optional>
#include <string>

namespace raycl::core {

/// What discovery may read; the real one reads getenv() and files, tests pass fakes.
struct environment_view {
    std::function<std::optional<std::string>(const char* name)> get_variable;
    std::function<std::optional<std::string>(const std::string& path)> read_file;

    /// The process's real environment and file system.
    static environment_view system();
};

/// options.address, else RAY_ADDRESS, else "http://127.0.0.1:8265" (not yet validated).
std::string discover_address(const client_options& options, const environment_view& env);

/// options.token; else (when discover_token) RAY_AUTH_TOKEN, then the file at
/// RAY_AUTH_TOKEN_PATH, then $HOME/.ray/auth_token; whitespace trimmed; "" when none.
std::string discover_token(const client_options& options, const environment_view& env);

}  // namespace raycl::core
