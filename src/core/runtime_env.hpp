// Client-side normalisation of a runtime_env as Ray 2.60's JobSubmissionClient does it before
// `POST /api/jobs/` (RuntimeEnv(**runtime_env).to_dict() plus the SDK's own checks), except that
// every value is validated before anything is read. Pure: files are read through `runtime_env_files`.
#pragma once

#include "core/runtime_env_uri.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace raycl::core {

/// What normalising may read. Paths handed to these are already resolved against `cwd`.
struct runtime_env_files {
    /// The bytes of a regular file; nullopt when the path is not one (missing, a directory...).
    std::function<std::optional<std::string>(const std::string& path)> read_file;
    /// True when the path is an existing regular file (a conda YAML file).
    std::function<bool(const std::string& path)> is_file;
    /// True when the path is an existing directory (a conda env given by absolute path).
    std::function<bool(const std::string& path)> is_directory;
    /// Parses a YAML file (a conda environment file) into JSON; may throw client_error 400.
    std::function<boost::json::value(const std::string& path)> load_yaml_file;
    /// What relative paths are relative to (the process's working directory in production).
    std::string cwd;

    /// `path` made absolute against `cwd` (unchanged when already absolute).
    std::string resolve(const std::string& path) const;
};

/// Options of the normalisation.
struct runtime_env_normalization {
    /// Added as `_ray_commit` when pip or conda is set and the runtime_env has none, as Ray's
    /// client adds its own commit. raycl is not Ray: pass the cluster's `ray_commit` from
    /// `GET /api/version` (what a Python client of the cluster's version would send); unset adds
    /// nothing.
    std::optional<std::string> ray_commit{};
    /// RAY_RUNTIME_ENV_LOCAL_DEV_MODE is set: adds `"_inject_current_ray": true` as Ray does.
    bool local_dev_mode = false;
};

/// A local `working_dir` or `py_modules` path that must be packaged and replaced by a URI.
struct local_package_path {
    std::string field{};    ///< "working_dir" or "py_modules[2]": the name used in messages
    package_field kind{};   ///< Which field's rules apply
    std::size_t index = 0;  ///< Position in py_modules (0 for working_dir)
    std::string path{};     ///< The path as given (may be relative)
};

/// The result: Ray's wire form with local paths still in place, and where they are.
struct normalized_runtime_env {
    boost::json::object runtime_env{};              ///< Keys in the order Ray's client sends them
    std::vector<local_package_path> local_paths{};  ///< working_dir first, then py_modules in order
    std::vector<std::string> excludes{};            ///< runtime_env.excludes (empty when none)
};

/// Normalises `runtime_env` as Ray's client does before submitting: `pip`/`uv` requirement
/// files are read and list forms become Ray's dict forms with its defaults (`pip_check: false`;
/// `uv_check: false`, `uv_pip_install_options: ["--no-cache"]`), packages de-duplicated keeping
/// order and empty lists dropped; a conda `.yaml`/`.yml` path is loaded, an absolute conda path
/// must be an existing directory; `pip`/`uv`/`conda` are mutually exclusive; `env_vars` must map
/// strings to strings (`{}` dropped); `config` gets its defaults; `excludes` must be a list of
/// strings (`[]` dropped); `worker_process_setup_hook` must be a string; `working_dir` and
/// `py_modules` URIs are checked (see `classify_package_reference`) and local paths returned in
/// `local_paths`. Null values of Ray's named fields are dropped; an object of only nulls
/// becomes `{}`. Unknown fields pass through.
/// @throws client_error 400 naming the field (e.g. "runtime_env.env_vars.A must be a string"),
/// before any file is read when the value itself is invalid; values are never echoed.
normalized_runtime_env normalize_runtime_env(const boost::json::object& runtime_env, const runtime_env_files& files,
                                             const runtime_env_normalization& options = {});

}  // namespace raycl::core
