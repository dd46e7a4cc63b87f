/// @file
/// @brief Runtime-env packaging: local `working_dir` and `py_modules` entries replaced by the
/// `gcs://` URIs Ray's own client would give them, and what each package holds.
#pragma once

#include <boost/json/object.hpp>

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
};

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

/// @brief Settings of packaging. Not an aggregate (it holds a `std::function`): build a named
/// variable and use the `with_` setters.
struct packaging_options {
    /// @brief The defaults: 100 MiB limit, compressed entries, no progress reports.
    packaging_options() = default;

    /// @brief Sets `size_limit`.
    packaging_options& with_size_limit(std::uint64_t bytes) {
        size_limit = bytes;
        return *this;
    }
    /// @brief Sets `compress`.
    packaging_options& with_compression(bool on) {
        compress = on;
        return *this;
    }
    /// @brief Sets `on_progress`.
    packaging_options& with_progress(std::function<void(const packaging_progress&)> callback) {
        on_progress = std::move(callback);
        return *this;
    }

    /// @brief Largest package that may be uploaded: the dashboard's request limit
    /// (`DASHBOARD_CLIENT_MAX_SIZE`, 100 MiB in Ray 2.60). A larger package fails with a 400
    /// before anything is sent.
    std::uint64_t size_limit = std::uint64_t{100} << 20;
    /// @brief Deflate the zip entries (Ray stores them uncompressed). Either way the URI is the
    /// same: it hashes the files, not the archive.
    bool compress = true;
    /// @brief Called on the calling thread while hashing, archiving and uploading; unset by
    /// default. It may throw to abandon the operation (the exception propagates, temporary
    /// files are removed).
    std::function<void(const packaging_progress&)> on_progress{};
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

}  // namespace raycl
