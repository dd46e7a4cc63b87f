// Connection settings and script lookup of the raycl CLI (see config.hpp).
#include "config.hpp"

#include <cstdlib>
#include <map>

namespace raycl::cli {

std::optional<cluster_env> parse_cluster_env(std::string_view text) {
    std::map<std::string, std::string> values;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string line(text.substr(start, end - start));
        start = end + 1;
        if (line.rfind("export ", 0) == 0) line = line.substr(7);
        const auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        std::string value = line.substr(eq + 1);
        if (!value.empty() && value.back() == '\r') value.pop_back();
        if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        values[line.substr(0, eq)] = value;
    }
    const auto address = values.find("RAYCL_TEST_ADDRESS");
    if (address == values.end() || address->second.empty()) return std::nullopt;
    return cluster_env{address->second, values["RAYCL_TEST_TOKEN"]};
}

std::string default_cluster_env_file() {
    const char* override_path = std::getenv("RAYCL_DEFAULT_ENV_FILE");
    if (override_path && *override_path) return override_path;
    return "/tmp/raycl-default/raycl.env";
}

connection resolve_connection(const global_options& global, const char* ray_address_env,
                              const std::optional<cluster_env>& local_cluster, const std::string& env_file) {
    connection c;
    bool use_local_token = false;
    if (global.address) {
        c.address = *global.address;
        c.address_source = "--address";
    } else if (ray_address_env && *ray_address_env) {
        c.address = ray_address_env;
        c.address_source = "RAY_ADDRESS";
    } else if (local_cluster) {
        c.address = local_cluster->address;
        c.address_source = "local cluster (" + env_file + ")";
        use_local_token = true;
    } else {
        c.address_source = "default";
    }
    if (global.token) {
        c.token = *global.token;
        c.discover_token = false;
        c.token_source = "--token";
    } else if (use_local_token) {
        c.token = local_cluster->token;  // empty when the cluster runs without authentication
        c.discover_token = false;
        c.token_source = c.token.empty() ? "none (local cluster without authentication)" : "local cluster";
    } else {
        c.token_source = "discovery (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token)";
    }
    return c;
}

std::vector<std::string> cluster_script_candidates(const std::string& source_dir, const std::string& exe_dir,
                                                   const std::string& install_datadir) {
    std::vector<std::string> out;
    if (!source_dir.empty()) out.push_back(source_dir + "/scripts/ray-cluster.sh");
    if (!exe_dir.empty()) out.push_back(exe_dir + "/../share/raycl/scripts/ray-cluster.sh");
    if (!install_datadir.empty()) out.push_back(install_datadir + "/raycl/scripts/ray-cluster.sh");
    return out;
}

}  // namespace raycl::cli
