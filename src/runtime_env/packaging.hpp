// Runtime-env packaging for the client facade: plan (normalise, hash every local working_dir
// and py_modules entry, rewrite the runtime_env with gcs:// URIs) and build one package's
// bytes. Reads the file system; no network (the facade checks, uploads and reports).
#pragma once

#include "runtime_env/hash_cache.hpp"
#include "runtime_env/zip_writer.hpp"

#include "core/environment.hpp"
#include "core/runtime_env.hpp"

#include <raycl/error.hpp>
#include <raycl/runtime_env.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace raycl::packaging {

/// `package_compression::automatic` deflates a package whose compressible files (by the entropy
/// test of package_entry::compressible) hold at least this many bytes, and any package whose
/// stored zip would exceed the size limit. See compression_level().
inline constexpr std::uint64_t automatic_deflate_threshold = std::uint64_t{1} << 20;

/// The deflate level of compressed packages. Measured with zlib on 2,000 text files of 10 KiB
/// (20 MiB): level 1 wrote 6.3 MB in 1.1 s, 3 wrote 5.7 MB in 1.4 s, 6 wrote 5.2 MB in 2.6 s, 9
/// wrote 5.2 MB in 3.3 s (storing: 21.2 MB in 0.33 s): level 1 gives most of the gain for the
/// least time. The workers deflate with libdeflate, whose level 1 took 65 ms of one core where
/// zlib's took 101 ms, for a 1.5% smaller result, on bench/package_submit.py's tree (a).
/// Incompressible files are stored whatever the level (see package_entry::compressible).
inline constexpr int default_compression_level = 1;

/// What planning reads besides the packaged trees.
struct packaging_environment {
    /// RAY_RUNTIME_ENV_IGNORE_GITIGNORE, RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES and
    /// RAY_RUNTIME_ENV_LOCAL_DEV_MODE are read through `get_variable`.
    core::environment_view variables{};
    /// pip/uv requirement files, conda YAML files and env directories; `files.cwd` also
    /// anchors relative working_dir and py_modules paths (Ray uses the process's CWD).
    core::runtime_env_files files{};
    /// Where the hash cache lives (see hash_cache.hpp); nullopt: no cache.
    std::optional<std::filesystem::path> cache_directory{};

    /// The process's environment variables, working directory and file system, and the user's
    /// cache directory (default_cache_directory()). Conda YAML files are parsed with
    /// `load_yaml_file`; without one they are a 400.
    static packaging_environment system(std::function<boost::json::value(const std::string&)> load_yaml_file = {});
    /// system() with the YAML loader and cache directory of `options`.
    static packaging_environment system(const packaging_options& options);
    /// The wall clock (nanoseconds) the hash cache records entries with; tests move it.
    std::function<std::int64_t()> clock = wall_clock_ns;
};

/// Ray's default excludes of a working_dir: ".git,.venv,venv,__pycache__", or the
/// comma-separated RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES (entries stripped, empty ones
/// dropped; set but empty means none).
std::vector<std::string> default_excludes(const core::environment_view& variables);

/// Normalises `runtime_env` (core::normalize_runtime_env) and computes the URI of every local
/// package, reading each included file once (none the hash cache knows, when enabled); builds no archive, sends nothing (enough for a
/// dry run). `ray_commit` is added as `_ray_commit` when pip or conda is set (pass the cluster's,
/// from GET /api/version). Progress: `packaging_phase::hashing` per package.
/// @throws client_error 400 for any invalid value (before reading anything), a missing or
/// unsupported local path, a symbolic-link loop, a name that is not UTF-8, an unreadable file,
/// a bad ignore file or pattern; whatever `options.on_progress` throws.
prepared_runtime_env prepare_runtime_env(const boost::json::object& runtime_env,
                                         const packaging_environment& environment, const packaging_options& options,
                                         const std::optional<std::string>& ray_commit = std::nullopt);

/// The deflate level for the zip of `tree` under `policy` (0: every entry stored), given the bytes
/// of its files worth deflating.
int compression_level(package_compression policy, std::uint64_t size_limit, const package_tree& tree,
                      std::uint64_t compressible_bytes);

/// The bytes of one package on disk: a temporary zip (removed with its directory when this is
/// destroyed, whatever happens after) or the user's own archive (never removed). Move-only.
class package_file {
public:
    /// A file this object does not own.
    package_file(std::filesystem::path path, std::uint64_t size) : path_(std::move(path)), size_(size) {}
    /// A file inside `directory`, removed with it.
    package_file(temporary_directory directory, std::filesystem::path path, std::uint64_t size)
        : directory_(std::move(directory)), path_(std::move(path)), size_(size) {}

    /// Where the bytes are.
    const std::filesystem::path& path() const noexcept { return path_; }
    /// How many bytes the upload sends.
    std::uint64_t size() const noexcept { return size_; }
    /// True for a zip raycl wrote (removed on destruction).
    bool is_temporary() const noexcept { return directory_.has_value(); }
    /// Renames a zip raycl wrote within its directory (once its name is known).
    /// @throws client_error 500 when it cannot be renamed.
    void rename_to(const std::string& file_name);

private:
    std::optional<temporary_directory> directory_;
    std::filesystem::path path_;
    std::uint64_t size_;
};

/// A plan for the client: prepare_runtime_env's result, and per package the archive already
/// written while planning, when there is one.
struct planned_runtime_env {
    prepared_runtime_env prepared{};
    /// Per package (same order): set for a directory whose files were not all in the hash
    /// cache, so that its package is likely new to the cluster: it was zipped while being
    /// hashed, each file read once. The client uploads it, or drops it (removing the file)
    /// when the cluster has the package after all.
    std::vector<std::optional<package_file>> archives{};
};

/// prepare_runtime_env without `_ray_commit` (the client adds it), zipping likely-new
/// directories at once into new directories under `temporary_root` (empty: the system's).
/// Progress: `hashing`, then `archiving` for what is zipped.
/// @throws what prepare_runtime_env and build_package throw.
planned_runtime_env plan_packages(const boost::json::object& runtime_env, const packaging_environment& environment,
                                  const packaging_options& options, const std::filesystem::path& temporary_root = {});

/// Produces the bytes to upload for one planned package: zips a directory or module into a
/// new directory under `temporary_root` (default: the system's temporary directory), or
/// checks a user's archive. The size limit is checked here, before any upload. Progress:
/// `packaging_phase::archiving`.
/// @throws client_error 400 `package_too_large_error` over `options.size_limit`; 400 when a
/// file changed since it was hashed or cannot be read; 500 when the zip cannot be written;
/// whatever `options.on_progress` throws. The temporary directory is gone in every case.
package_file build_package(const package_info& package, const packaging_options& options,
                           const std::filesystem::path& temporary_root = {});

/// The 400 for a package too large to upload: its size, the limit, the ten largest included
/// files or directories and how to leave files out. The facade maps a 413 from the dashboard
/// to the same error.
client_error package_too_large_error(const package_info& package, std::uint64_t package_bytes, std::uint64_t limit);

/// The same message for a package the dashboard refused with 413 (its limit is below ours, e.g.
/// behind a proxy): kind `request_too_large` (status 413), with the request line and status.
client_error package_refused_as_too_large(const package_info& package, std::uint64_t package_bytes, std::string request,
                                          int http_status);

}  // namespace raycl::packaging
