// Connection settings and script lookup of the raycl CLI (see config.hpp).
#include "config.hpp"

#include "text.hpp"

#include <raycl/error.hpp>

#include <cstdlib>
#include <map>

namespace raycl::cli {

std::optional<cluster_env> parse_cluster_env(std::string_view text) {
    std::map<std::string, std::string> values;
    for (const auto raw : split_lines(text)) {
        std::string line(raw);
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

connection resolve_connection(const connection_sources& sources) {
    const auto& global = sources.global;
    connection c;
    enum class from { flag, environment, context, local_cluster, fallback } address_from;
    if (global.address) {
        c.address = *global.address;
        c.address_source = "--address";
        address_from = from::flag;
    } else if (sources.ray_address_env && *sources.ray_address_env) {
        c.address = sources.ray_address_env;
        c.address_source = "RAY_ADDRESS";
        address_from = from::environment;
    } else if (sources.context) {
        c.address = sources.context->address;
        c.address_source = "context " + sources.context->name + " (" + sources.context_origin + ")";
        c.context = sources.context->name;
        address_from = from::context;
    } else if (sources.local_cluster) {
        c.address = sources.local_cluster->address;
        c.address_source = "local cluster (" + sources.env_file + ")";
        address_from = from::local_cluster;
    } else {
        c.address_source = "default";
        address_from = from::fallback;
    }

    if (global.token) {
        c.token = *global.token;
        c.discover_token = false;
        c.token_source = "--token";
    } else if (sources.token_in_environment) {
        c.token_source = "environment (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH)";
    } else if (address_from == from::context) {
        const auto& context = *sources.context;
        c.discover_token = false;
        if (context.token_env || context.token_file) c.token_context = context;
        c.token_source = context.token_env    ? "context " + context.name + " (token-env " + *context.token_env + ")"
                         : context.token_file ? "context " + context.name + " (token-file " + *context.token_file + ")"
                                              : "none (context " + context.name + " has no token)";
    } else if (address_from == from::local_cluster) {
        c.token = sources.local_cluster->token;  // empty when the cluster runs without authentication
        c.discover_token = false;
        c.token_source = c.token.empty() ? "none (local cluster without authentication)" : "local cluster";
    } else {
        c.token_source = "discovery (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token)";
    }

    // Headers and TLS settings belong to the context's cluster; --header adds to them and
    // replaces a context header of the same name.
    if (address_from == from::context) {
        c.ca_file = sources.context->ca_file;
        c.insecure = sources.context->insecure;
        for (const auto& header : sources.context->headers) {
            bool replaced = false;
            for (const auto& given : global.headers)
                replaced = replaced || to_lower(given.first) == to_lower(header.first);
            if (!replaced) c.headers.push_back(header);
        }
    }
    c.headers.insert(c.headers.end(), global.headers.begin(), global.headers.end());
    return c;
}

connection resolve_connection(const global_options& global, const char* ray_address_env,
                              const std::optional<cluster_env>& local_cluster, const std::string& env_file) {
    connection_sources sources;
    sources.global = global;
    sources.ray_address_env = ray_address_env;
    sources.local_cluster = local_cluster;
    sources.env_file = env_file;
    return resolve_connection(sources);
}

std::optional<context_entry> choose_context(const context_file& file, const std::optional<std::string>& flag,
                                            const char* environment, std::string& origin) {
    std::optional<std::string> name;
    if (flag) {
        name = flag;
        origin = "--context";
    } else if (environment && *environment) {
        name = environment;
        origin = "RAYCL_CONTEXT";
    } else if (file.config.current) {
        name = file.config.current;
        origin = "current-context";
    }
    if (!name) return std::nullopt;
    if (const auto* entry = file.config.find(*name)) return *entry;
    throw client_error(error_kind::not_found, "no context '" + *name + "' (" + origin + ") in " +
                                                  (file.exists ? file.path : file.path + ", which does not exist") +
                                                  "; see: raycl context list");
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
