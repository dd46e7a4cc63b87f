#include "core/runtime_env.hpp"

#include "core/sanitize.hpp"
#include "core/utf8.hpp"

#include <raycl/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace raycl::core {
namespace {

namespace json = boost::json;

// RuntimeEnv.__init__'s named parameters, in its order, with the key each is stored under
// ("nsight" is stored as "_nsight"). A null named value is dropped; other keys keep theirs.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> named_fields{{
    {"py_modules", "py_modules"},
    {"py_executable", "py_executable"},
    {"working_dir", "working_dir"},
    {"pip", "pip"},
    {"uv", "uv"},
    {"conda", "conda"},
    {"nsight", "_nsight"},
    {"rocprof_sys", "_rocprof_sys"},
    {"container", "container"},
    {"env_vars", "env_vars"},
    {"config", "config"},
    {"worker_process_setup_hook", "worker_process_setup_hook"},
    {"image_uri", "image_uri"},
}};

// OPTION_TO_VALIDATION_FN's keys in order: each present one is validated, removed and appended
// again, which is where the key order of Ray's wire form comes from.
constexpr std::array<std::string_view, 9> validated_fields{"py_modules", "working_dir", "excludes",  "conda", "pip",
                                                           "uv",         "env_vars",    "container", "config"};

[[noreturn]] void reject(std::string_view field, std::string_view problem) {
    throw client_error(error_kind::invalid_argument,
                       sanitize("runtime_env." + std::string(field) + " " + std::string(problem)));
}

std::string member(std::string_view parent, std::string_view key) {
    return std::string(parent) + "." + one_line(key);
}
std::string element(std::string_view parent, std::size_t index) {
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

// Python's bool(value) for a JSON value.
bool truthy(const json::value& value) {
    switch (value.kind()) {
        case json::kind::null:
            return false;
        case json::kind::bool_:
            return value.get_bool();
        case json::kind::int64:
            return value.get_int64() != 0;
        case json::kind::uint64:
            return value.get_uint64() != 0;
        case json::kind::double_:
            return value.get_double() != 0.0;
        case json::kind::string:
            return !value.get_string().empty();
        case json::kind::array:
            return !value.get_array().empty();
        case json::kind::object:
            return !value.get_object().empty();
    }
    return false;
}

// Python's len(value) == 0 for the sized JSON kinds.
bool sized_and_empty(const json::value& value) {
    return (value.is_string() && value.get_string().empty()) || (value.is_array() && value.get_array().empty()) ||
           (value.is_object() && value.get_object().empty());
}

// An insertion-ordered list of fields: boost::json::object's erase moves the last element
// into the hole (Boost 1.81 has no stable_erase), and Ray's order depends on remove-then-append.
class ordered_fields {
public:
    json::value* find(std::string_view key) {
        auto it = std::find_if(fields_.begin(), fields_.end(), [&](const auto& f) { return f.first == key; });
        return it == fields_.end() ? nullptr : &it->second;
    }
    bool has_value(std::string_view key) {
        const json::value* value = find(key);
        return value && !value->is_null();
    }
    // Replaces in place, or appends.
    void set(std::string_view key, json::value value) {
        if (json::value* existing = find(key)) {
            *existing = std::move(value);
        } else {
            fields_.emplace_back(std::string(key), std::move(value));
        }
    }
    json::value take(std::string_view key) {
        auto it = std::find_if(fields_.begin(), fields_.end(), [&](const auto& f) { return f.first == key; });
        json::value value = std::move(it->second);
        fields_.erase(it);
        return value;
    }
    std::set<std::string> keys() const {
        std::set<std::string> out;
        for (const auto& f : fields_) out.insert(f.first);
        return out;
    }
    bool all_null() const {
        return std::all_of(fields_.begin(), fields_.end(), [](const auto& f) { return f.second.is_null(); });
    }
    json::object to_object() && {
        json::object out;
        for (auto& [key, value] : fields_) out.emplace(key, std::move(value));
        return out;
    }

private:
    std::vector<std::pair<std::string, json::value>> fields_;
};

std::vector<std::string> string_list(const json::value& value, std::string_view field) {
    const json::array& array = value.get_array();
    std::vector<std::string> out;
    out.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
        if (!array[i].is_string()) reject(element(field, i), "must be a string");
        out.emplace_back(array[i].get_string());
    }
    return out;
}

json::array to_array(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& item : items) out.emplace_back(item);
    return out;
}

// OrderedDict.fromkeys: duplicates removed, first occurrences kept in order.
std::vector<std::string> deduplicated(std::vector<std::string> items) {
    std::unordered_set<std::string> seen;
    std::vector<std::string> out;
    for (auto& item : items)
        if (seen.insert(item).second) out.push_back(std::move(item));
    return out;
}

void require_bool(const json::object& object, std::string_view key, std::string_view parent) {
    if (const json::value* v = object.if_contains(key); v && !v->is_bool())
        reject(member(parent, key), "must be a boolean");
}
void require_string(const json::object& object, std::string_view key, std::string_view parent) {
    if (const json::value* v = object.if_contains(key); v && !v->is_string())
        reject(member(parent, key), "must be a string");
}
void require_string_list(const json::object& object, std::string_view key, std::string_view parent) {
    const json::value* v = object.if_contains(key);
    if (!v) return;
    if (!v->is_array()) reject(member(parent, key), "must be a list of strings");
    string_list(*v, member(parent, key));
}

void require_known_keys(const json::object& object, std::string_view parent,
                        std::initializer_list<std::string_view> known) {
    for (const auto& entry : object) {
        if (std::find(known.begin(), known.end(), std::string_view(entry.key())) != known.end()) continue;
        std::string names;
        for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
        reject(member(parent, entry.key()), "is not a " + std::string(parent) + " option (known: " + names + ")");
    }
}

class normalizer {
public:
    // `files` null: validate only (nothing is read; file-derived values are placeholders).
    normalizer(const runtime_env_files* files, const runtime_env_normalization& options)
        : files_(files), options_(options) {}

    normalized_runtime_env run(const json::object& input) {
        normalized_runtime_env out;
        ordered_fields fields;
        // RuntimeEnv(**runtime_env): the keys that are not named parameters come first...
        for (const auto& entry : input) {
            const bool named = std::any_of(named_fields.begin(), named_fields.end(),
                                           [&](const auto& f) { return f.first == entry.key(); });
            if (!named) fields.set(entry.key(), entry.value());
        }
        // ...then the non-null named ones in the parameter order.
        for (const auto& [name, stored_as] : named_fields)
            if (const json::value* v = input.if_contains(name); v && !v->is_null()) fields.set(stored_as, *v);

        check_combinations(fields);
        if (const json::value* hook = fields.find("worker_process_setup_hook"); hook && !hook->is_string())
            reject("worker_process_setup_hook", "must be a string (a module path): job submission accepts no callable");

        for (std::string_view key : validated_fields) {
            if (!fields.has_value(key)) continue;
            json::value value = fields.take(key);
            if (std::optional<json::value> result = validate(key, value, out)) fields.set(key, std::move(*result));
        }

        if (!fields.find("_ray_commit") && options_.ray_commit &&
            ((fields.find("pip") && truthy(*fields.find("pip"))) ||
             (fields.find("conda") && truthy(*fields.find("conda")))))
            fields.set("_ray_commit", json::string(*options_.ray_commit));
        if (!fields.find("_inject_current_ray") && options_.local_dev_mode) fields.set("_inject_current_ray", true);

        if (!fields.all_null()) out.runtime_env = std::move(fields).to_object();
        // working_dir first, as Ray uploads it before py_modules.
        std::stable_partition(out.local_paths.begin(), out.local_paths.end(),
                              [](const local_package_path& p) { return p.kind == package_field::working_dir; });
        return out;
    }

private:
    static void check_combinations(ordered_fields& fields) {
        std::vector<std::string> managers;
        for (std::string_view key : {"pip", "uv", "conda"})
            if (fields.has_value(key)) managers.emplace_back(key);
        if (managers.size() > 1) {
            std::string got;
            for (const auto& m : managers) got += (got.empty() ? "" : " and ") + m;
            throw client_error(error_kind::invalid_argument,
                               "runtime_env.pip, runtime_env.uv and runtime_env.conda are mutually exclusive (got " +
                                   got + "); list pip packages in the conda environment instead");
        }
        check_only_with(fields, "container", {"container", "config", "env_vars"});
        check_only_with(fields, "image_uri", {"image_uri", "config", "env_vars"});
    }

    static void check_only_with(ordered_fields& fields, std::string_view key,
                                std::initializer_list<std::string_view> allowed) {
        const json::value* value = fields.find(key);
        if (!value || !truthy(*value)) return;
        std::string others;
        for (const std::string& k : fields.keys())
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                others += (others.empty() ? "runtime_env." : ", runtime_env.") + one_line(k);
        if (!others.empty()) reject(key, "cannot be combined with " + others);
    }

    std::optional<json::value> validate(std::string_view key, const json::value& value, normalized_runtime_env& out) {
        if (key == "working_dir") return working_dir(value, out);
        if (key == "py_modules") return py_modules(value, out);
        if (key == "excludes") return excludes(value, out);
        if (key == "conda") return conda(value);
        if (key == "pip") return pip(value);
        if (key == "uv") return uv(value);
        if (key == "env_vars") return env_vars(value);
        if (key == "config") return config(value);
        return value;  // container: passed through
    }

    static json::value working_dir(const json::value& value, normalized_runtime_env& out) {
        if (!value.is_string()) reject("working_dir", "must be a string: a local directory or archive, or a URI");
        const std::string path(value.get_string());
        if (classify_package_reference(path, package_field::working_dir, "runtime_env.working_dir") ==
            package_reference::local_path)
            out.local_paths.push_back({"working_dir", package_field::working_dir, 0, path});
        return value;
    }

    static json::value py_modules(const json::value& value, normalized_runtime_env& out) {
        if (!value.is_array()) reject("py_modules", "must be a list of local paths or URIs");
        const std::vector<std::string> modules = string_list(value, "py_modules");
        for (std::size_t i = 0; i < modules.size(); ++i) {
            const std::string field = element("py_modules", i);
            if (classify_package_reference(modules[i], package_field::py_modules, "runtime_env." + field) ==
                package_reference::local_path)
                out.local_paths.push_back({field, package_field::py_modules, i, modules[i]});
        }
        return value;
    }

    static std::optional<json::value> excludes(const json::value& value, normalized_runtime_env& out) {
        if (!value.is_array()) reject("excludes", "must be a list of strings (gitwildmatch patterns)");
        if (value.get_array().empty()) return std::nullopt;
        out.excludes = string_list(value, "excludes");
        return value;
    }

    static std::optional<json::value> env_vars(const json::value& value) {
        if (sized_and_empty(value)) return std::nullopt;
        if (!value.is_object()) reject("env_vars", "must be an object mapping names to strings");
        for (const auto& entry : value.get_object())
            if (!entry.value().is_string()) reject(member("env_vars", entry.key()), "must be a string");
        return value;
    }

    // RuntimeEnvConfig: the known fields with their defaults, in its order; others dropped.
    static json::value config(const json::value& value) {
        if (!value.is_object()) reject("config", "must be an object");
        const json::object& in = value.get_object();
        json::object out;
        json::value timeout = 600;
        if (const json::value* t = in.if_contains("setup_timeout_seconds")) {
            // Python's isinstance(x, int) accepts a bool too.
            const bool integer = t->is_int64() || t->is_uint64() || t->is_bool();
            const std::int64_t seconds = t->is_bool() ? t->get_bool() : t->is_int64() ? t->get_int64() : 1;
            if (!integer || (seconds <= 0 && seconds != -1))
                reject("config.setup_timeout_seconds", "must be an integer greater than 0, or -1 (no timeout)");
            timeout = *t;
        }
        require_bool(in, "eager_install", "config");
        json::array log_files;
        if (const json::value* l = in.if_contains("log_files"); l && !l->is_null()) {
            if (!l->is_array()) reject("config.log_files", "must be a list of strings");
            log_files = to_array(string_list(*l, "config.log_files"));
        }
        out["setup_timeout_seconds"] = timeout;
        out["eager_install"] = in.contains("eager_install") ? in.at("eager_install") : json::value(true);
        out["log_files"] = std::move(log_files);
        return out;
    }

    std::optional<json::value> conda(const json::value& value) const {
        if (value.is_object()) return value;
        if (!value.is_string()) reject("conda", "must be an environment name, a path, or an object");
        const std::string text(value.get_string());
        const std::string normalized = pure_posix_path(text);
        const std::string_view suffix = pure_path_suffix(pure_path_name(normalized));
        if (suffix == ".yaml" || suffix == ".yml") {
            if (!files_) return json::object();
            const std::string path = files_->resolve(text);
            if (!files_->is_file || !files_->is_file(path))
                reject("conda", "names a conda YAML file that does not exist: " + one_line(path));
            json::value loaded = files_->load_yaml_file(path);
            // An empty YAML file loads as None, and Ray then drops the field.
            if (loaded.is_null()) return std::nullopt;
            return loaded;
        }
        if (text.starts_with('/')) {
            if (files_ && !(files_->is_directory && files_->is_directory(normalized)))
                reject("conda", "names a conda environment directory that does not exist: " + one_line(normalized));
            return json::string(normalized);
        }
        return value;  // the name of an environment installed on the nodes
    }

    // The short forms of pip and uv, a requirements file path or a list of packages, as Ray
    // rewrites them: {"packages": [...], "<check_key>": false}. Nullopt for the object form.
    std::optional<json::object> short_form(const json::value& value, std::string_view field,
                                           std::string_view check_key) const {
        if (!value.is_string() && !value.is_array()) {
            if (!value.is_object())
                reject(field, "must be the path of a requirements file, a list of strings, or an object");
            return std::nullopt;
        }
        json::object out;
        out["packages"] = to_array(value.is_string() ? requirements(field, std::string(value.get_string()))
                                                     : string_list(value, field));
        out[check_key] = false;
        return out;
    }

    std::optional<json::value> pip(const json::value& value) const {
        if (std::optional<json::object> result = short_form(value, "pip", "pip_check"))
            return with_unique_packages(std::move(*result), "pip");
        const json::object& in = value.get_object();
        require_known_keys(in, "pip", {"packages", "pip_check", "pip_install_options", "pip_version"});
        require_bool(in, "pip_check", "pip");
        require_string(in, "pip_version", "pip");
        require_string_list(in, "pip_install_options", "pip");
        const json::value* packages = in.if_contains("packages");
        if (!packages) reject("pip.packages", "is required");
        json::object result = in;
        if (!result.contains("pip_check")) result["pip_check"] = false;
        if (packages->is_string()) {
            result["packages"] = to_array(requirements("pip.packages", std::string(packages->get_string())));
        } else if (packages->is_array()) {
            string_list(*packages, "pip.packages");
        } else {
            reject("pip.packages", "must be a list of strings or the path of a requirements file");
        }
        return with_unique_packages(std::move(result), "pip");
    }

    std::optional<json::value> uv(const json::value& value) const {
        // Ray builds the short forms as {packages, uv_check} and completes them on a second
        // validation, as an object.
        std::optional<json::object> short_value = short_form(value, "uv", "uv_check");
        json::object in = short_value ? std::move(*short_value) : value.get_object();
        require_known_keys(in, "uv", {"packages", "uv_check", "uv_version", "uv_pip_install_options"});
        const json::value* packages = in.if_contains("packages");
        if (!packages) reject("uv.packages", "is required");
        require_bool(in, "uv_check", "uv");
        require_string(in, "uv_version", "uv");
        require_string_list(in, "uv_pip_install_options", "uv");
        if (!packages->is_array()) reject("uv.packages", "must be a list of strings");
        string_list(*packages, "uv.packages");
        if (!in.contains("uv_check")) in["uv_check"] = false;
        if (!in.contains("uv_pip_install_options")) in["uv_pip_install_options"] = json::array{"--no-cache"};
        return with_unique_packages(std::move(in), "uv");
    }

    // De-duplicates `packages` in place; a field left without packages is dropped.
    static std::optional<json::value> with_unique_packages(json::object result, std::string_view field) {
        std::vector<std::string> packages = deduplicated(string_list(result.at("packages"), member(field, "packages")));
        if (packages.empty()) return std::nullopt;
        result["packages"] = to_array(packages);
        return result;
    }

    // _handle_local_deps_requirement_file: read_text().strip().split("\n"), so blank lines and
    // comments stay entries (as in Ray); line ends are translated as Python's text mode does.
    std::vector<std::string> requirements(std::string_view field, const std::string& given) const {
        if (!files_) return {};
        const std::string path = files_->resolve(given);
        std::optional<std::string> text = files_->read_file ? files_->read_file(path) : std::nullopt;
        if (!text) reject(field, "names a requirements file that does not exist or is not a file: " + one_line(path));
        if (!is_valid_utf8(*text)) reject(field, "names a requirements file that is not UTF-8: " + one_line(path));
        std::u32string decoded = decode_utf8_surrogateescape(*text);
        std::u32string lines;
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            if (decoded[i] == U'\r') {
                lines.push_back(U'\n');
                if (i + 1 < decoded.size() && decoded[i + 1] == U'\n') ++i;
            } else {
                lines.push_back(decoded[i]);
            }
        }
        const std::u32string_view stripped = strip_python_whitespace(lines);
        std::vector<std::string> out;
        std::size_t start = 0;
        while (true) {
            const std::size_t end = stripped.find(U'\n', start);
            out.push_back(encode_utf8(stripped.substr(start, end == std::u32string_view::npos ? end : end - start)));
            if (end == std::u32string_view::npos) return out;
            start = end + 1;
        }
    }

    const runtime_env_files* files_;
    const runtime_env_normalization& options_;
};

}  // namespace

std::string runtime_env_files::resolve(const std::string& path) const {
    if (path.starts_with('/') || cwd.empty()) return path;
    if (path.empty()) return cwd;
    return cwd.ends_with('/') ? cwd + path : cwd + "/" + path;
}

normalized_runtime_env normalize_runtime_env(const boost::json::object& runtime_env, const runtime_env_files& files,
                                             const runtime_env_normalization& options) {
    // Every value is checked before the first file is read.
    normalizer(nullptr, options).run(runtime_env);
    return normalizer(&files, options).run(runtime_env);
}

}  // namespace raycl::core
