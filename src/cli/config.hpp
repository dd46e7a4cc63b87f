// Where the raycl CLI connects to and where it finds scripts/ray-cluster.sh. Pure code.
#pragma once

#include "args.hpp"

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
    std::string address_source;  ///< "--address", "RAY_ADDRESS", "local cluster <file>", "default"
    std::string token;           ///< explicit token (never printed)
    bool discover_token = true;  ///< let the SDK look in RAY_AUTH_TOKEN & co.
    std::string token_source;    ///< "--token", "local cluster", "discovery"
};

/// Precedence: --address, else RAY_ADDRESS (non-empty), else the local default cluster's env
/// file when it exists (its token too, unless --token), else the SDK's default address.
connection resolve_connection(const global_options& global, const char* ray_address_env,
                              const std::optional<cluster_env>& local_cluster, const std::string& env_file);

/// Candidate paths of ray-cluster.sh, in order: <source dir>/scripts, <exe dir>/../share/raycl/scripts,
/// <install datadir>/raycl/scripts. Empty arguments are skipped.
std::vector<std::string> cluster_script_candidates(const std::string& source_dir, const std::string& exe_dir,
                                                   const std::string& install_datadir);

}  // namespace raycl::cli
