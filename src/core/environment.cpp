#include "core/environment.hpp"

#include "core/text.hpp"

#include <cstdlib>
#include <fstream>
#include <string_view>

namespace raycl::core {
namespace {

constexpr std::string_view default_address = "http://127.0.0.1:8265";
// A token file is a few hundred bytes; anything far larger is not a token file.
constexpr std::size_t max_token_file_bytes = 64 * 1024;

// A variable's trimmed value, or "" when unset or blank.
std::string variable(const environment_view& env, const char* name) {
    if (!env.get_variable) return {};
    auto value = env.get_variable(name);
    return value ? std::string(trim(*value)) : std::string();
}

// The trimmed contents of a file, or "" when unreadable or blank. "~/" is expanded with HOME.
std::string token_from_file(const environment_view& env, std::string path) {
    if (path.empty() || !env.read_file) return {};
    if (path.starts_with("~/")) {
        std::string home = variable(env, "HOME");
        if (home.empty()) return {};
        path = home + path.substr(1);
    }
    auto contents = env.read_file(path);
    return contents ? std::string(trim(*contents)) : std::string();
}

}  // namespace

environment_view environment_view::system() {
    environment_view env;
    env.get_variable = [](const char* name) -> std::optional<std::string> {
        const char* value = std::getenv(name);
        if (!value) return std::nullopt;
        return std::string(value);
    };
    env.read_file = [](const std::string& path) -> std::optional<std::string> {
        std::ifstream file(path, std::ios::binary);
        if (!file) return std::nullopt;
        std::string contents;
        contents.resize(max_token_file_bytes + 1);
        file.read(contents.data(), static_cast<std::streamsize>(contents.size()));
        if (file.bad() || static_cast<std::size_t>(file.gcount()) > max_token_file_bytes) return std::nullopt;
        contents.resize(static_cast<std::size_t>(file.gcount()));
        return contents;
    };
    return env;
}

std::string discover_address(const client_options& options, const environment_view& env) {
    if (!options.address.empty()) return options.address;
    std::string from_env = variable(env, "RAY_ADDRESS");
    // "auto" asks Ray to find the local cluster: its dashboard is the local default.
    if (from_env.empty() || from_env == "auto") return std::string(default_address);
    return from_env;
}

std::string discover_token(const client_options& options, const environment_view& env) {
    if (std::string token(trim(options.token)); !token.empty() || !options.discover_token) return token;
    if (std::string token = variable(env, "RAY_AUTH_TOKEN"); !token.empty()) return token;
    // An unreadable RAY_AUTH_TOKEN_PATH falls through to the default file, as a missing one does.
    if (std::string token = token_from_file(env, variable(env, "RAY_AUTH_TOKEN_PATH")); !token.empty()) return token;
    return token_from_file(env, "~/.ray/auth_token");
}

}  // namespace raycl::core
