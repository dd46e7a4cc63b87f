// Named contexts of the raycl CLI (as kubeconfig contexts): the config file
// $XDG_CONFIG_HOME/raycl/config.yaml (else ~/.config/raycl/config.yaml), its model, and reading
// and writing it safely.
//
//     current-context: prod
//     contexts:
//       prod:
//         address: https://ray.example.com
//         token-env: PROD_RAY_TOKEN        # or token-file: /path; a token itself is never stored
//         headers:
//           - "X-Team: ml"
//         ca-file: /etc/ssl/prod-ca.pem
//         insecure: false
//
// The file is written with mode 0600, atomically (a temporary file renamed over it); a file
// others can read or change gets a warning; a malformed file is a 400 naming the line.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl::cli {

/// One named context.
struct context_entry {
    std::string name;
    std::string address;
    std::optional<std::string> token_file;  ///< a file holding the token
    std::optional<std::string> token_env;   ///< an environment variable holding the token
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> ca_file;
    bool insecure = false;

    /// The context as shown by `context show`/`list` and stored in the file (without its
    /// name). Header values of credential-like headers are shown as "[REDACTED]" when
    /// `redact_headers`.
    boost::json::object to_json(bool redact_headers) const;
};

/// The config file's contents.
struct context_config {
    std::optional<std::string> current;  ///< current-context
    std::vector<context_entry> contexts;

    const context_entry* find(std::string_view name) const;
    context_entry* find(std::string_view name);
};

/// Names a context may have: [A-Za-z0-9_.-], 1 to 64 characters. Else invalid_value.
void validate_context_name(const std::string& name);

/// Reads the file's text. `path` names it in errors.
/// @throws client_error 400 "<path>: line L, column C: <problem>" for malformed YAML, an
/// unknown key, a value of the wrong type, a stored token, both token-file and token-env, or a
/// current-context that names no context.
context_config parse_context_config(std::string_view text, std::string_view path);
/// The file's text (a comment, then YAML).
std::string serialize_context_config(const context_config& config);

/// $XDG_CONFIG_HOME/raycl/config.yaml when XDG_CONFIG_HOME is set and absolute, else
/// $HOME/.config/raycl/config.yaml ("" when neither is known).
std::string context_config_path(const char* xdg_config_home, const char* home);

/// The config file as found on disk.
struct context_file {
    std::string path;
    bool exists = false;
    context_config config;
    std::string warning;  ///< "" or a warning line about the file's permissions
};

/// Reads the config file of this environment. A missing file is an empty config.
/// @throws client_error 400 when it exists but cannot be read or is malformed.
context_file load_context_file();
/// Writes `config` to `path` with mode 0600, atomically; creates missing directories (0700).
/// @throws client_error 400 when it cannot be written.
void save_context_file(const context_config& config, const std::string& path);

/// The token `context` refers to (trimmed), or "" when it refers to none.
/// @throws client_error 400 naming the file or variable (never the token) when it is missing
/// or empty.
std::string context_token(const context_entry& context);

}  // namespace raycl::cli
