// Where the raycl CLI connects to, and where it finds scripts/ray-cluster.sh. Pure code.
//
// Precedence of every connection setting: a flag (--address, --token, --header), then the
// environment (RAY_ADDRESS; RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH), then the current context
// (--context, else RAYCL_CONTEXT, else the config file's current-context), then the cluster of
// `raycl cluster up`, then the default address (the SDK's http://127.0.0.1:8265, with Ray's
// token discovery). A token only goes where its address came from: the context's token to the
// context's address, the local cluster's token to the local cluster.
#pragma once

#include "args.hpp"
#include "contexts.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::cli {

/// The values of an env file written by `scripts/ray-cluster.sh up`.
struct cluster_env {
    std::string address;  ///< RAYCL_TEST_ADDRESS
    std::string token;    ///< RAYCL_TEST_TOKEN (empty with auth disabled)
};

/// Parses `export KEY=VALUE` lines; nullopt when there is no RAYCL_TEST_ADDRESS.
std::optional<cluster_env> parse_cluster_env(std::string_view text);

/// The env file of the local default cluster: $RAYCL_DEFAULT_ENV_FILE (for tests), else
/// /tmp/raycl-default/raycl.env.
std::string default_cluster_env_file();

/// What the client connects with, and where each part came from (for --verbose).
struct connection {
    std::string address;         ///< empty: the SDK's default
    std::string address_source;  ///< "--address", "RAY_ADDRESS", "context prod", "local cluster <file>", "default"
    std::string token;           ///< explicit token (never printed)
    bool discover_token = true;  ///< let the SDK look in RAY_AUTH_TOKEN & co.
    std::string token_source;    ///< "--token", "context prod (token-env X)", "local cluster", "discovery"
    /// The context whose token the client uses (read by the caller: context_token()).
    std::optional<context_entry> token_context;
    std::vector<std::pair<std::string, std::string>> headers;  ///< the context's, then --header
    std::optional<std::string> ca_file;                        ///< from the context
    bool insecure = false;                                     ///< from the context
    std::string context;                                       ///< the context the address came from ("" when none)
};

/// Everything the connection is resolved from.
struct connection_sources {
    global_options global;
    const char* ray_address_env = nullptr;  ///< RAY_ADDRESS
    bool token_in_environment = false;      ///< RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH set
    std::optional<context_entry> context;   ///< the current context, if any
    std::string context_origin;             ///< "--context", "RAYCL_CONTEXT", "current-context"
    std::optional<cluster_env> local_cluster;
    std::string env_file;  ///< where local_cluster was read
};

/// The connection, by the precedence above.
connection resolve_connection(const connection_sources& sources);

/// The same without contexts and without a token in the environment (kept for callers of the
/// first CLI version): --address, else RAY_ADDRESS (non-empty), else the local default
/// cluster's env file when it exists (its token too, unless --token), else the SDK's default.
connection resolve_connection(const global_options& global, const char* ray_address_env,
                              const std::optional<cluster_env>& local_cluster, const std::string& env_file);

/// The current context: `flag` (--context), else `environment` (RAYCL_CONTEXT), else the file's
/// current-context; nullopt when none is chosen. `origin` says which.
/// @throws client_error 404 when a named context does not exist.
std::optional<context_entry> choose_context(const context_file& file, const std::optional<std::string>& flag,
                                            const char* environment, std::string& origin);

/// Candidate paths of ray-cluster.sh, in order: <source dir>/scripts, <exe dir>/../share/raycl/scripts,
/// <install datadir>/raycl/scripts. Empty arguments are skipped.
std::vector<std::string> cluster_script_candidates(const std::string& source_dir, const std::string& exe_dir,
                                                   const std::string& install_datadir);

}  // namespace raycl::cli
