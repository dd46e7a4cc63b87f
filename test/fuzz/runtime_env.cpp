// Fuzzes the runtime_env normaliser (core/runtime_env). Input: one control byte, then a JSON
// object (the runtime_env). Files are in memory: every "*.txt" path reads as a requirements
// file derived from the input, "*.yaml" files load as {"dependencies": [...]}, directories are
// the paths starting with "/envs".
// Checked: invalid input gives a 400 whose message names a runtime_env field and has no
// control characters, and is found without touching any file (a files view that records every
// access gives the same error); valid output has Ray's shapes (pip/uv as dicts with unique,
// non-empty packages and their defaults; env_vars strings; config's three keys; at most one of
// pip/uv/conda); normalising the output again gives the same object; the local paths returned
// are the output's working_dir / py_modules entries.
#include "fuzz_support.hpp"

#include "core/runtime_env.hpp"

#include <raycl/error.hpp>

#include <boost/json/parse.hpp>

#include <optional>
#include <set>
#include <string>

using namespace raycl;
namespace json = boost::json;

namespace {

struct file_access {};  // thrown by the view that must not be used

core::runtime_env_files files(bool explode, std::string_view seed, int& accesses) {
    core::runtime_env_files out;
    out.cwd = "/work";
    auto touch = [explode, &accesses] {
        ++accesses;
        if (explode) throw file_access{};
    };
    const std::string content(seed.substr(0, 64));
    out.read_file = [touch, content](const std::string& path) -> std::optional<std::string> {
        touch();
        if (!path.ends_with(".txt")) return std::nullopt;
        return content + "\nfirst\r\nsecond\n" + content;
    };
    out.is_file = [touch](const std::string& path) {
        touch();
        return path.ends_with(".yaml") || path.ends_with(".yml");
    };
    out.is_directory = [touch](const std::string& path) {
        touch();
        return path.starts_with("/envs");
    };
    out.load_yaml_file = [touch](const std::string& path) -> json::value {
        touch();
        if (path.ends_with(".yml")) return nullptr;  // an empty YAML file
        return json::parse(R"({"dependencies": ["pip", "numpy"]})");
    };
    return out;
}

void check_error(const client_error& error) {
    RAYCL_FUZZ_CHECK(error.status() == 400 && error.kind() == error_kind::invalid_argument);
    RAYCL_FUZZ_CHECK(error.message().starts_with("runtime_env."));
    for (char c : error.message()) RAYCL_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20);
}

void check_packages(const json::object& manager, std::string_view check_key) {
    const json::array& packages = manager.at("packages").as_array();
    RAYCL_FUZZ_CHECK(!packages.empty());
    std::set<std::string> seen;
    for (const json::value& p : packages) RAYCL_FUZZ_CHECK(seen.insert(std::string(p.as_string())).second);
    RAYCL_FUZZ_CHECK(manager.at(check_key).is_bool());
}

void check_shape(const json::object& env) {
    int managers = 0;
    for (const char* key : {"pip", "uv", "conda"}) managers += env.contains(key) ? 1 : 0;
    RAYCL_FUZZ_CHECK(managers <= 1);
    if (const json::value* pip = env.if_contains("pip")) check_packages(pip->as_object(), "pip_check");
    if (const json::value* uv = env.if_contains("uv")) {
        check_packages(uv->as_object(), "uv_check");
        RAYCL_FUZZ_CHECK(uv->as_object().at("uv_pip_install_options").is_array());
    }
    if (const json::value* vars = env.if_contains("env_vars")) {
        RAYCL_FUZZ_CHECK(!vars->as_object().empty());
        for (const auto& entry : vars->as_object()) RAYCL_FUZZ_CHECK(entry.value().is_string());
    }
    if (const json::value* config = env.if_contains("config")) {
        const json::object& c = config->as_object();
        RAYCL_FUZZ_CHECK(c.size() == 3 && c.contains("setup_timeout_seconds") && c.at("eager_install").is_bool() &&
                         c.at("log_files").is_array());
    }
    if (const json::value* excludes = env.if_contains("excludes"))
        RAYCL_FUZZ_CHECK(excludes->is_null() || !excludes->as_array().empty());
    for (const char* named : {"py_modules", "working_dir", "pip", "uv", "conda", "env_vars", "config", "container"})
        RAYCL_FUZZ_CHECK(!env.contains(named) || !env.at(named).is_null());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    raycl::fuzz::input_view in(data, size);
    const std::uint8_t control = in.byte();
    const std::string_view text = in.rest();
    boost::system::error_code parse_error;
    json::value parsed = json::parse(text, parse_error);
    if (parse_error || !parsed.is_object()) return 0;
    core::runtime_env_normalization options;
    if (control & 1) options.ray_commit = "b7f4259e944bf6959f721b106adc366ddfa0c356";
    options.local_dev_mode = (control & 2) != 0;

    // 1. A view that must not be touched: validation errors come out before any access.
    int touched = 0;
    std::optional<std::string> validation_error;
    bool needs_files = false;
    try {
        core::normalize_runtime_env(parsed.as_object(), files(true, text, touched), options);
    } catch (const client_error& error) {
        check_error(error);
        RAYCL_FUZZ_CHECK(touched == 0);
        validation_error = error.message();
    } catch (const file_access&) {
        needs_files = true;
    }

    // 2. The working view: the same error, or a result of Ray's shape.
    int accesses = 0;
    core::normalized_runtime_env result;
    try {
        result = core::normalize_runtime_env(parsed.as_object(), files(false, text, accesses), options);
    } catch (const client_error& error) {
        check_error(error);
        RAYCL_FUZZ_CHECK(!validation_error || *validation_error == error.message());
        RAYCL_FUZZ_CHECK(validation_error || needs_files);
        return 0;
    }
    RAYCL_FUZZ_CHECK(!validation_error);
    RAYCL_FUZZ_CHECK(needs_files == (accesses > 0));
    check_shape(result.runtime_env);
    for (const core::local_package_path& local : result.local_paths) {
        const json::value& slot = local.kind == core::package_field::working_dir
                                      ? result.runtime_env.at("working_dir")
                                      : result.runtime_env.at("py_modules").as_array().at(local.index);
        RAYCL_FUZZ_CHECK(slot.as_string() == local.path);
    }
    // 3. Normalising Ray's wire form again changes nothing (key order aside). Ray adds
    // _inject_current_ray after its container/image_uri check, and the same check then refuses
    // its own output; so does raycl, faithfully: such outputs are not normalised again.
    const bool injected_after_check =
        result.runtime_env.contains("_inject_current_ray") &&
        (result.runtime_env.contains("container") || result.runtime_env.contains("image_uri"));
    if (injected_after_check) return 0;
    int again_accesses = 0;
    const core::normalized_runtime_env again =
        core::normalize_runtime_env(result.runtime_env, files(false, text, again_accesses), options);
    RAYCL_FUZZ_CHECK(again.runtime_env == result.runtime_env);
    return 0;
}
