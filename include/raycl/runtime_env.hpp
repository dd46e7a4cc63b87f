/// @file
/// @brief Runtime-env packaging: local `working_dir` and `py_modules` entries replaced by the
/// `gcs://` URIs Ray's own client would give them, and what each package holds.
#pragma once

#include <raycl/models.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl {

namespace detail {
struct package_contents;
struct package_access;
}  // namespace detail

/// @brief How the bytes of a package are produced.
enum class package_source_kind {
    /// A local directory, zipped: a `working_dir`'s contents at the zip root, a `py_modules`
    /// directory under a folder of its own name (e.g. `mypkg/__init__.py`).
    directory,
    /// A single local `.py` module of `py_modules`, zipped as the only entry (Ray's Job SDK
    /// refuses these; `ray.init` accepts them and names them the same way).
    module_file,
    /// A local `.zip`/`.tar.gz`/`.tgz`/`.tar.xz` (`working_dir`) or `.whl` (`py_modules`), sent
    /// as it is.
    archive,
};

/// @brief The stable lower-case name of a kind: `"directory"`, `"module_file"` or `"archive"`.
constexpr std::string_view to_string(package_source_kind kind) noexcept {
    switch (kind) {
        case package_source_kind::directory:
            return "directory";
        case package_source_kind::module_file:
            return "module_file";
        case package_source_kind::archive:
            return "archive";
    }
    return "unknown";
}

/// @brief Whether the cluster had to receive a package. Filled in by the client when it
/// uploads; planning alone leaves `not_checked`.
enum class package_state {
    not_checked,      ///< No request was made (planning or a dry run).
    uploaded,         ///< The cluster lacked it: it was uploaded.
    already_present,  ///< The cluster had it (same URI, same content): nothing was sent.
};

/// @brief The stable lower-case name of a state: `"not_checked"`, `"uploaded"` or `"already_present"`.
constexpr std::string_view to_string(package_state state) noexcept {
    switch (state) {
        case package_state::not_checked:
            return "not_checked";
        case package_state::uploaded:
            return "uploaded";
        case package_state::already_present:
            return "already_present";
    }
    return "unknown";
}

/// @brief The step a progress report is about.
enum class packaging_phase {
    hashing,    ///< Reading the included files to compute the URI.
    archiving,  ///< Writing the zip.
    uploading,  ///< Sending the package to the cluster.
    skipped,    ///< The cluster already has it: nothing is archived or sent (one report, done = total).
};

/// @brief The stable lower-case name of a phase: `"hashing"`, `"archiving"`, `"uploading"` or `"skipped"`.
constexpr std::string_view to_string(packaging_phase phase) noexcept {
    switch (phase) {
        case packaging_phase::hashing:
            return "hashing";
        case packaging_phase::archiving:
            return "archiving";
        case packaging_phase::uploading:
            return "uploading";
        case packaging_phase::skipped:
            return "skipped";
    }
    return "unknown";
}

/// @brief One progress report: the bytes of one package done so far in one phase.
struct packaging_progress {
    packaging_phase phase = packaging_phase::hashing;  ///< What is being done.
    std::string_view field{};                          ///< The package's field, e.g. `"py_modules[1]"`.
    std::uint64_t bytes_done = 0;                      ///< Bytes read, written or sent so far.
    std::uint64_t bytes_total = 0;                     ///< Bytes this phase will handle in all.
};

/// @brief One included file or directory and the bytes of the included files it stands for.
struct package_size_entry {
    /// @brief An entry of `path` (archive-relative, directories end with '/') and `bytes`.
    package_size_entry(std::string path_in_package, std::uint64_t size)
        : path(std::move(path_in_package)), bytes(size) {}

    std::string path;         ///< E.g. `"data/"` or `"data/big.bin"`.
    std::uint64_t bytes = 0;  ///< Uncompressed bytes.
};

/// @brief When the entries of a zipped package are deflated. The URI does not depend on it (it
/// hashes the files, not the archive), so a package zipped either way is reused by Ray's client.
enum class package_compression {
    /// Deflate compressible entries when that pays: when the stored archive would exceed
    /// `packaging_options::size_limit`, or when the package is large enough for the smaller
    /// upload to win back the time compressing costs (see README, "Packaging").
    automatic,
    always,  ///< Deflate every compressible entry (Ray stores them uncompressed).
    never,   ///< Store every entry, as Ray's own client does.
};

/// @brief The stable lower-case name of a policy: `"automatic"`, `"always"` or `"never"`.
constexpr std::string_view to_string(package_compression compression) noexcept {
    switch (compression) {
        case package_compression::automatic:
            return "automatic";
        case package_compression::always:
            return "always";
        case package_compression::never:
            return "never";
    }
    return "unknown";
}

/// @brief Settings of packaging. Not an aggregate (it holds a `std::function`): build a named
/// variable and use the `with_` setters.
struct packaging_options {
    /// @brief The defaults: 100 MiB limit, automatic compression, the hash cache, no progress reports.
    packaging_options() = default;

    /// @brief Sets `size_limit`.
    packaging_options& with_size_limit(std::uint64_t bytes) {
        size_limit = bytes;
        return *this;
    }
    /// @brief Sets `compression`.
    packaging_options& with_compression(package_compression policy) {
        compression = policy;
        return *this;
    }
    /// @brief Sets `use_hash_cache`.
    packaging_options& with_hash_cache(bool on) {
        use_hash_cache = on;
        return *this;
    }
    /// @brief Sets `on_progress`.
    packaging_options& with_progress(std::function<void(const packaging_progress&)> callback) {
        on_progress = std::move(callback);
        return *this;
    }
    /// @brief Sets `temporary_directory`.
    packaging_options& with_temporary_directory(std::string path) {
        temporary_directory = std::move(path);
        return *this;
    }
    /// @brief Sets `cache_directory`.
    packaging_options& with_cache_directory(std::string path) {
        cache_directory = std::move(path);
        return *this;
    }
    /// @brief Sets `load_yaml_file`.
    packaging_options& with_yaml_loader(std::function<boost::json::value(const std::string& path)> loader) {
        load_yaml_file = std::move(loader);
        return *this;
    }

    /// @brief Largest package that may be uploaded: the dashboard's request limit
    /// (`DASHBOARD_CLIENT_MAX_SIZE`, 100 MiB in Ray 2.60). A larger package fails with a 400
    /// before anything is sent.
    std::uint64_t size_limit = std::uint64_t{100} << 20;
    /// @brief When zip entries are deflated (Ray stores them uncompressed).
    package_compression compression = package_compression::automatic;
    /// @brief Remember the content hash of each file (keyed by path, size, mtime, ctime, inode and
    /// device, like git's index) in `$XDG_CACHE_HOME/raycl/` (else `~/.cache/raycl/`), so that a
    /// tree submitted again is checked with `stat` calls instead of reading every file. An entry
    /// is trusted only when the file's mtime and ctime were at least 2 s older than the moment it
    /// was recorded (git's "racily clean" rule), so a file changed within the same second is
    /// read again.
    bool use_hash_cache = true;
    /// @brief Where the hash cache is kept; empty: `$XDG_CACHE_HOME/raycl`, else `~/.cache/raycl`
    /// (no cache when neither variable is set).
    std::string cache_directory{};
    /// @brief Called while hashing, archiving and uploading; unset by default. One report at a
    /// time, in order, but not on a thread of the caller's choosing: raycl's packaging thread
    /// for hashing and archiving, a client strand for uploading (see each operation). Keep it
    /// short. It may throw to abandon the operation (temporary files are removed; the client's
    /// operations then fail with kind `cancelled`).
    std::function<void(const packaging_progress&)> on_progress{};
    /// @brief Where archives are written before they are uploaded (each in a directory of its
    /// own, removed once sent, whatever happens); empty: the system's (`TMPDIR`, else `/tmp`).
    std::string temporary_directory{};
    /// @brief Reads a conda environment YAML file (`"conda": "env.yaml"`) into JSON; may throw
    /// `client_error` 400. Unset: such a file is a 400 (raycl's own CLI sets it).
    std::function<boost::json::value(const std::string& path)> load_yaml_file{};
};

/// @brief One local package of a runtime_env: where it came from, its URI and what it holds.
///
/// Copyable; copies share the planned file list that building the archive uses.
class package_info {
public:
    /// @brief An empty description (planning fills it).
    package_info() = default;

    std::string field{};   ///< The field it came from: `"working_dir"` or `"py_modules[2]"`.
    std::string source{};  ///< The local path as given in the runtime_env.
    std::string path{};    ///< That path made absolute (against the working directory).
    std::string uri{};     ///< Its `gcs://` URI, the same Ray's Python client computes.
    package_source_kind kind = package_source_kind::directory;  ///< How its bytes are produced.
    /// @brief Bytes of the included files (for an archive or wheel, the file's size).
    std::uint64_t size = 0;
    std::uint64_t file_count = 0;  ///< Included files (1 for a module or an archive).
    /// @brief The ten largest included files or directories, largest first (for messages).
    std::vector<package_size_entry> largest{};
    /// @brief Bytes of the built archive (or the file sent as it is), once known.
    std::optional<std::uint64_t> archive_size{};
    /// @brief Whether it was uploaded; filled in by the client, `not_checked` after planning.
    package_state state = package_state::not_checked;

private:
    friend struct detail::package_access;
    std::shared_ptr<const detail::package_contents> contents_{};
};

/// @brief A runtime_env ready to submit: normalised as Ray's client does it, every local path
/// replaced by its `gcs://` URI, and the packages those URIs stand for.
struct prepared_runtime_env {
    /// @brief An empty result.
    prepared_runtime_env() = default;

    boost::json::object runtime_env{};     ///< The runtime_env to send (`POST /api/jobs/`).
    std::vector<package_info> packages{};  ///< `working_dir` first, then `py_modules` in order.
};

/// @brief What `client::prepare_runtime_env` would send, computed on this machine alone (a dry
/// run): normalised, every local path replaced by its URI. The included files are read once to
/// hash them; no archive is written and no request is made, so every package stays
/// `not_checked` and `_ray_commit` (the cluster's) is not added. Blocking: call it where
/// reading the files may block.
/// @throws client_error 400 as `client::prepare_runtime_env` (before any file is read when the
/// value itself is invalid); whatever `options.on_progress` throws (called on this thread).
prepared_runtime_env plan_runtime_env(const boost::json::object& runtime_env, const packaging_options& options = {});

/// @brief The JSON body `client::submit_job` would `POST /api/jobs/` for @p submission, sending
/// nothing (`raycl job submit --dry-run`): its runtime_env as `plan_runtime_env` makes it, and
/// its submission id (the one given, or a newly generated `raycl_<16 hex>` one).
/// @throws client_error 400 for an invalid submission; those of `plan_runtime_env`.
boost::json::object dry_run_submission(const job_submission& submission, const packaging_options& options = {});

}  // namespace raycl
