// Named contexts (see contexts.hpp).
#include "contexts.hpp"

#include "process.hpp"
#include "text.hpp"

#include "core/yaml_json.hpp"

#include <raycl/error.hpp>

#include <boost/json/array.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace raycl::cli {
namespace {

namespace json = boost::json;

const std::vector<std::string> context_keys = {"address", "token-file", "token-env", "headers", "ca-file", "insecure"};

/// Throws the 400 of a malformed file: "<path>: line L, column C: <problem>".
[[noreturn]] void malformed(const core::yaml_document& document, std::string_view path, const std::string& pointer,
                            const std::string& problem) {
    std::string message(path);
    if (const auto position = document.position_of(pointer))
        message += ": line " + std::to_string(position->line) + ", column " + std::to_string(position->column);
    throw client_error(error_kind::invalid_argument, message + ": " + problem);
}

bool credential_header(std::string_view name) {
    const auto lower = to_lower(name);
    for (const char* word : {"authorization", "cookie", "token", "key", "secret", "password"}) {
        if (lower.find(word) != std::string::npos) return true;
    }
    return false;
}

std::string system_error_text(int error) {
    return std::strerror(error);
}

context_entry parse_entry(const core::yaml_document& document, std::string_view path, const std::string& name,
                          const json::value& value) {
    const std::string at = "/contexts/" + core::json_pointer_token(name);
    try {
        validate_context_name(name);
    } catch (const invalid_value& error) {
        malformed(document, path, at, error.what());
    }
    if (!value.is_object()) malformed(document, path, at, "context '" + name + "' must be a mapping");
    context_entry entry;
    entry.name = name;
    auto text = [&](std::string_view key, const json::value& v) {
        if (!v.is_string())
            malformed(document, path, at + "/" + std::string(key), std::string(key) + " must be a string");
        return std::string(v.get_string());
    };
    for (const auto& [key, v] : value.get_object()) {
        const std::string pointer = at + "/" + core::json_pointer_token(key);
        if (key == "address") {
            entry.address = text(key, v);
        } else if (key == "token-file") {
            entry.token_file = text(key, v);
        } else if (key == "token-env") {
            entry.token_env = text(key, v);
        } else if (key == "ca-file") {
            entry.ca_file = text(key, v);
        } else if (key == "insecure") {
            if (!v.is_bool()) malformed(document, path, pointer, "insecure must be true or false");
            entry.insecure = v.get_bool();
        } else if (key == "headers") {
            if (!v.is_array()) malformed(document, path, pointer, "headers must be a list of 'Name: value'");
            for (std::size_t i = 0; i < v.get_array().size(); ++i) {
                const auto& header = v.get_array()[i];
                const std::string item = pointer + "/" + std::to_string(i);
                if (!header.is_string()) malformed(document, path, item, "a header must be a 'Name: value' string");
                try {
                    entry.headers.push_back(parse_header(std::string(header.get_string()), "a header"));
                } catch (const invalid_value& error) {
                    malformed(document, path, item, error.what());
                }
            }
        } else if (key == "token") {  // the value is never echoed
            malformed(document, path, pointer,
                      "a token is never stored in the config file: use token-file or token-env");
        } else {
            malformed(document, path, pointer,
                      "unknown key '" + std::string(key) + "' in context '" + name +
                          "' (known: " + join_alternatives(context_keys, ", ") + ")");
        }
    }
    if (entry.address.empty()) malformed(document, path, at, "context '" + name + "' has no address");
    if (entry.token_file && entry.token_env)
        malformed(document, path, at, "context '" + name + "' has both token-file and token-env");
    return entry;
}

}  // namespace

json::object context_entry::to_json(bool redact_headers) const {
    json::object out;
    out["address"] = address;
    if (token_file) out["token-file"] = *token_file;
    if (token_env) out["token-env"] = *token_env;
    if (!headers.empty()) {
        json::array list;
        for (const auto& [header, value] : headers)
            list.emplace_back(header + ": " + (redact_headers && credential_header(header) ? "[REDACTED]" : value));
        out["headers"] = std::move(list);
    }
    if (ca_file) out["ca-file"] = *ca_file;
    if (insecure) out["insecure"] = true;
    return out;
}

const context_entry* context_config::find(std::string_view name) const {
    for (const auto& entry : contexts) {
        if (entry.name == name) return &entry;
    }
    return nullptr;
}

context_entry* context_config::find(std::string_view name) {
    return const_cast<context_entry*>(std::as_const(*this).find(name));
}

void validate_context_name(const std::string& name) {
    if (name.empty() || name.size() > 64 ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
            std::string::npos)
        throw invalid_value("a context name is 1 to 64 of A-Z a-z 0-9 _ . - (got '" + name + "')");
}

context_config parse_context_config(std::string_view text, std::string_view path) {
    const auto document = core::load_yaml_document(text, path);
    context_config config;
    if (document.value.is_null()) return config;
    if (!document.value.is_object()) malformed(document, path, "", "the file must be a mapping");
    std::string current_pointer;
    for (const auto& [key, value] : document.value.get_object()) {
        if (key == "current-context") {
            if (value.is_null()) continue;
            if (!value.is_string()) malformed(document, path, "/current-context", "current-context must be a name");
            config.current = std::string(value.get_string());
            current_pointer = "/current-context";
        } else if (key == "contexts") {
            if (value.is_null()) continue;
            if (!value.is_object()) malformed(document, path, "/contexts", "contexts must be a mapping of names");
            for (const auto& [name, entry] : value.get_object())
                config.contexts.push_back(parse_entry(document, path, std::string(name), entry));
        } else {
            malformed(document, path, "/" + core::json_pointer_token(key),
                      "unknown key '" + std::string(key) + "' (known: current-context, contexts)");
        }
    }
    if (config.current && !config.find(*config.current))
        malformed(document, path, current_pointer, "current-context '" + *config.current + "' names no context");
    return config;
}

std::string serialize_context_config(const context_config& config) {
    json::object root;
    if (config.current) root["current-context"] = *config.current;
    json::object contexts;
    for (const auto& entry : config.contexts) contexts[entry.name] = entry.to_json(false);
    root["contexts"] = std::move(contexts);
    return "# raycl contexts, written by `raycl context`: tokens are referenced (token-file,\n"
           "# token-env), never stored. Comments in this file are not kept.\n" +
           core::to_yaml(root);
}

std::string context_config_path(const char* xdg_config_home, const char* home) {
    if (xdg_config_home && xdg_config_home[0] == '/') return std::string(xdg_config_home) + "/raycl/config.yaml";
    if (home && *home) return std::string(home) + "/.config/raycl/config.yaml";
    return {};
}

context_file load_context_file() {
    context_file file;
    file.path = context_config_path(environment_variable("XDG_CONFIG_HOME"), environment_variable("HOME"));
    if (file.path.empty()) return file;
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return file;
        throw client_error(error_kind::invalid_argument, "cannot read " + file.path + ": " + system_error_text(errno));
    }
    struct stat info {};
    std::string text;
    if (::fstat(fd, &info) == 0 && (info.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        file.warning = "raycl: warning: " + file.path + " can be read or changed by other users (mode " + mode +
                       "); run: chmod 600 " + file.path + "\n";
    }
    char buffer[8192];
    for (;;) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            throw client_error(error_kind::invalid_argument,
                               "cannot read " + file.path + ": " + system_error_text(error));
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    file.exists = true;
    file.config = parse_context_config(text, file.path);
    return file;
}

void save_context_file(const context_config& config, const std::string& path) {
    auto fail = [&](const std::string& what, int error) {
        throw client_error(error_kind::invalid_argument,
                           "cannot write " + path + ": " + what + ": " + system_error_text(error));
    };
    if (path.empty()) throw client_error(error_kind::invalid_argument, "no config file path: HOME is not set");
    std::string target = path;
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved)) target = resolved;  // write through a symlinked config
    // Missing directories, private to the user.
    for (std::size_t slash = target.find('/', 1); slash != std::string::npos; slash = target.find('/', slash + 1)) {
        const std::string dir = target.substr(0, slash);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail("mkdir " + dir, errno);
    }
    std::string temporary = target + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());  // created 0600
    if (fd < 0) fail("create a temporary file", errno);
    const std::string text = serialize_context_config(config);
    bool ok = ::fchmod(fd, 0600) == 0;
    for (std::size_t written = 0; ok && written < text.size();) {
        const auto n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) written += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int error = errno;
    ::close(fd);
    if (!ok || ::rename(temporary.c_str(), target.c_str()) != 0) {
        const int rename_error = ok ? errno : error;
        ::unlink(temporary.c_str());
        fail("write", rename_error);
    }
}

std::string context_token(const context_entry& context) {
    const std::string prefix = "context '" + context.name + "': ";
    if (context.token_env) {
        const char* value = environment_variable(context.token_env->c_str());
        const std::string token(value ? trim(value) : std::string_view());
        if (token.empty())
            throw client_error(error_kind::invalid_argument,
                               prefix + "environment variable " + *context.token_env + " (token-env) is not set");
        return token;
    }
    if (context.token_file) {
        const auto text = read_file(*context.token_file);
        if (!text)
            throw client_error(error_kind::invalid_argument, prefix + "cannot read token-file " + *context.token_file);
        const std::string token(trim(*text));
        if (token.empty())
            throw client_error(error_kind::invalid_argument,
                               prefix + "token-file " + *context.token_file + " is empty");
        return token;
    }
    return {};
}

}  // namespace raycl::cli
