#include "runtime_env/packaging.hpp"

#include "runtime_env/file_io.hpp"
#include "runtime_env/package_tree.hpp"
#include "runtime_env/parallel.hpp"

#include "core/ignore_rules.hpp"
#include "core/runtime_env_uri.hpp"
#include "core/sanitize.hpp"
#include "core/utf8.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

namespace raycl {
namespace detail {

// What building needs of a planned package; shared by the copies of its package_info.
struct package_contents {
    packaging::package_tree tree;
    /// The hash cache of its root: removed when building finds a file that no longer hashes
    /// as planned, so that a wrong entry cannot outlive one failed build.
    std::optional<std::filesystem::path> cache_directory{};
};

struct package_access {
    static const package_contents* contents(const package_info& package) { return package.contents_.get(); }
    static void attach(package_info& package, std::shared_ptr<const package_contents> contents) {
        package.contents_ = std::move(contents);
    }
};

}  // namespace detail

namespace packaging {
namespace {

constexpr std::size_t largest_count = 10;

std::string mebibytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

std::optional<std::string> variable(const core::environment_view& variables, const char* name) {
    return variables.get_variable ? variables.get_variable(name) : std::nullopt;
}

// The ten largest included files or directories (directories count the files below them).
std::vector<package_size_entry> largest_entries(const package_tree& tree, std::string_view archive_prefix) {
    std::map<std::string, std::uint64_t> directories;
    std::vector<package_size_entry> all;
    for (const package_entry& entry : tree.entries) {
        if (entry.is_directory) continue;
        all.emplace_back(entry.archive_name, entry.size);
        for (std::size_t slash = entry.archive_name.find('/', archive_prefix.size()); slash != std::string::npos;
             slash = entry.archive_name.find('/', slash + 1))
            directories[entry.archive_name.substr(0, slash + 1)] += entry.size;
    }
    for (auto& [name, bytes] : directories) all.emplace_back(name, bytes);
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.bytes != b.bytes ? a.bytes > b.bytes : a.path < b.path; });
    if (all.size() > largest_count) all.erase(all.begin() + largest_count, all.end());
    return all;
}

// Estimated size of the stored zip of a tree: the files plus, per entry, a local header and a
// central directory record (30 + 46 bytes, the name twice, libzip's extra fields).
std::uint64_t stored_zip_size(const package_tree& tree) {
    std::uint64_t bytes = tree.content_bytes + 22;
    for (const package_entry& entry : tree.entries) bytes += 76 + 2 * entry.archive_name.size() + 64;
    return bytes;
}

std::uint64_t compressible_bytes(const package_tree& tree, const std::vector<bool>& compressible) {
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < tree.entries.size(); ++i)
        if (compressible[i]) bytes += tree.entries[i].size;
    return bytes;
}

// Writes the zip of `tree` under a new directory of `temporary_root`, with the options' policy;
// digests unknown in the tree are computed on the way into `found`.
package_file write_archive(const package_info& package, const package_tree& tree, const packaging_options& options,
                           const std::filesystem::path& temporary_root, std::vector<file_digest>* found) {
    temporary_directory directory(temporary_root.empty() ? std::filesystem::temp_directory_path() : temporary_root);
    const std::string_view name = core::gcs_package_name(package.uri);
    const std::filesystem::path target = directory.path() / std::string(name.empty() ? "package.zip" : name);
    zip_settings settings;
    settings.field = "runtime_env." + package.field;
    settings.threads = worker_threads();
    std::vector<bool> compressible(tree.entries.size(), false);
    if (options.compression != package_compression::never)
        compressible = compressible_entries(tree, settings.field, settings.threads);
    settings.compressible = &compressible;
    settings.compression_level =
        compression_level(options.compression, options.size_limit, tree, compressible_bytes(tree, compressible));
    settings.progress = [&](std::uint64_t done, std::uint64_t total) {
        if (options.on_progress) options.on_progress({packaging_phase::archiving, package.field, done, total});
    };
    write_zip(tree, target, settings, found);
    const std::uint64_t size = std::filesystem::file_size(target);
    if (size > options.size_limit) throw package_too_large_error(package, size, options.size_limit);
    return package_file(std::move(directory), target, size);
}

class planner {
public:
    planner(const packaging_environment& environment, const packaging_options& options,
            std::vector<std::string> excludes, const std::filesystem::path* speculative_root)
        : environment_(environment),
          speculative_root_(speculative_root),
          options_(options),
          include_gitignore_(variable(environment.variables, "RAY_RUNTIME_ENV_IGNORE_GITIGNORE").value_or("0") != "1"),
          user_excludes_(std::move(excludes)),
          default_excludes_(default_excludes(environment.variables)) {
        // Patterns are checked before any tree is read, each list under its own name.
        core::ignore_rules::from_patterns(user_excludes_, "runtime_env.excludes");
        core::ignore_rules::from_patterns(default_excludes_, "RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES");
    }

    /// Plans one package. With a speculative root, a directory whose files are not all in the
    /// hash cache (so its package is likely new) is zipped at once, each file read once for
    /// both: that archive is returned.
    package_info plan(const core::local_package_path& local, std::optional<package_file>* archive) const {
        package_info info;
        info.field = local.field;
        info.source = local.path;
        info.path = environment_.files.resolve(local.path);
        const std::string field = "runtime_env." + local.field;
        const std::string normalized = core::pure_posix_path(info.path);
        const std::string name(core::pure_path_name(normalized));
        const file_status status = stat_following_links(info.path, field, display(local.path));
        auto contents = std::make_shared<detail::package_contents>();
        const byte_progress progress = [&](std::uint64_t done, std::uint64_t total) {
            if (options_.on_progress) options_.on_progress({packaging_phase::hashing, info.field, done, total});
        };

        if (status.kind == file_kind::directory) {
            directory_scan scan;
            scan.include_gitignore = include_gitignore_;
            scan.field = field;
            scan.progress = progress;
            if (local.kind == core::package_field::working_dir) {
                scan.excludes = default_excludes_;
                scan.excludes.insert(scan.excludes.end(), user_excludes_.begin(), user_excludes_.end());
            } else {
                scan.excludes = user_excludes_;  // py_modules get no default excludes
                if (!name.empty()) scan.archive_prefix = name + "/";
            }
            std::optional<hash_cache> cache;
            if (options_.use_hash_cache && environment_.cache_directory) {
                cache.emplace(*environment_.cache_directory, info.path);
                scan.cache = &*cache;
                contents->cache_directory = environment_.cache_directory;
            }
            scan.defer_unknown = speculative_root_ != nullptr;
            scan.threads = worker_threads();
            scan.clock = environment_.clock;
            contents->tree = scan_directory(info.path, scan);
            info.kind = package_source_kind::directory;
            info.largest = largest_entries(contents->tree, scan.archive_prefix);
            info.size = contents->tree.content_bytes;
            info.file_count = contents->tree.file_count;
            if (!all_digests_known(contents->tree)) {
                // Likely missing from the cluster: hash every file while zipping it (files the
                // cache knew included: what is zipped is what gets named).
                for (package_entry& entry : contents->tree.entries) entry.digest_known = false;
                const std::int64_t recorded_ns = environment_.clock();
                std::vector<file_digest> found;
                archive->emplace(write_archive(info, contents->tree, options_, *speculative_root_, &found));
                for (std::size_t i = 0; i < found.size(); ++i) {
                    package_entry& entry = contents->tree.entries[i];
                    if (entry.is_directory) continue;
                    entry.digest = found[i].digest;
                    entry.compressible = found[i].compressible;
                    entry.digest_known = true;
                    if (cache) cache->record(entry.name, entry.identity, found[i], recorded_ns);
                }
                finish_hash(contents->tree);
            }
            if (cache) cache->save();
            info.uri = core::zipped_package_uri(contents->tree.hash);
            if (*archive) (*archive)->rename_to(std::string(core::gcs_package_name(info.uri)));
        } else if (local.kind == core::package_field::py_modules && core::pure_path_suffix(name) == ".py") {
            contents->tree = scan_module_file(info.path, field, progress);
            info.kind = package_source_kind::module_file;
            info.uri = core::zipped_package_uri(contents->tree.hash);
            info.largest = largest_entries(contents->tree, "");
        } else if (status.kind == file_kind::regular && local.kind == core::package_field::working_dir &&
                   core::has_package_extension(name, core::package_field::working_dir)) {
            info.kind = package_source_kind::archive;
            info.uri = core::archive_package_uri(name, file_sha1_hex(info.path, field, progress));
            as_is(*contents, info, status);
        } else if (status.kind == file_kind::regular && local.kind == core::package_field::py_modules &&
                   core::pure_path_suffix(name) == ".whl") {
            info.kind = package_source_kind::archive;
            info.uri = core::wheel_package_uri(name);  // a wheel's name is content-addressed
            as_is(*contents, info, status);
        } else if (local.kind == core::package_field::working_dir) {
            reject(field, display(local.path) + " must be an existing directory or a " +
                              std::string(core::package_extensions_text(core::package_field::working_dir)) + " file");
        } else {
            reject(field, display(local.path) + " must be an existing directory, .py file or .whl file");
        }
        if (info.kind != package_source_kind::archive) {
            info.size = contents->tree.content_bytes;
            info.file_count = contents->tree.file_count;
        }
        detail::package_access::attach(info, std::move(contents));
        return info;
    }

private:
    // An archive or wheel is sent as it is: one "entry", the file itself.
    static void as_is(detail::package_contents& contents, package_info& info, const file_status& status) {
        package_entry file;
        file.name = file.archive_name = std::string(core::pure_path_name(core::pure_posix_path(info.path)));
        file.source = info.path;
        file.size = status.size;
        contents.tree.entries.push_back(std::move(file));
        contents.tree.content_bytes = status.size;
        contents.tree.file_count = 1;
        info.size = status.size;
        info.file_count = 1;
        info.largest = {package_size_entry(contents.tree.entries.front().archive_name, status.size)};
    }

    const packaging_environment& environment_;
    const std::filesystem::path* speculative_root_;
    const packaging_options& options_;
    bool include_gitignore_;
    std::vector<std::string> user_excludes_;
    std::vector<std::string> default_excludes_;
};

std::optional<std::string> read_regular_file(const std::string& path) {
    if (!is_regular_file_following_links(path)) return std::nullopt;
    return read_small_file(path, "runtime_env", display(path));
}

bool is_directory(const std::string& path) {
    std::error_code ignored;
    return std::filesystem::is_directory(path, ignored);
}

}  // namespace

packaging_environment packaging_environment::system(
    std::function<boost::json::value(const std::string&)> load_yaml_file) {
    packaging_environment out;
    out.variables = core::environment_view::system();
    out.files.read_file = read_regular_file;
    out.files.is_file = [](const std::string& path) { return is_regular_file_following_links(path); };
    out.files.is_directory = is_directory;
    if (load_yaml_file) {
        out.files.load_yaml_file = std::move(load_yaml_file);
    } else {
        out.files.load_yaml_file = [](const std::string&) -> boost::json::value {
            reject("runtime_env.conda", "a conda YAML file needs a YAML reader, which this caller did not provide");
        };
    }
    std::error_code error;
    out.files.cwd = std::filesystem::current_path(error).string();
    out.cache_directory = default_cache_directory();
    return out;
}

packaging_environment packaging_environment::system(const packaging_options& options) {
    packaging_environment out = system(options.load_yaml_file);
    if (!options.cache_directory.empty()) out.cache_directory = std::filesystem::path(options.cache_directory);
    return out;
}

std::vector<std::string> default_excludes(const core::environment_view& variables) {
    const std::string list =
        variable(variables, "RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES").value_or(".git,.venv,venv,__pycache__");
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        const std::u32string item =
            core::decode_utf8_surrogateescape(std::string_view(list).substr(start, comma - start));
        const std::u32string_view stripped = core::strip_python_whitespace(item);
        if (!stripped.empty()) out.push_back(core::encode_utf8(stripped));
        start = comma + 1;
    }
    return out;
}

void package_file::rename_to(const std::string& file_name) {
    if (!directory_) return;
    const std::filesystem::path target = directory_->path() / file_name;
    std::error_code error;
    std::filesystem::rename(path_, target, error);
    if (error)
        throw client_error(error_kind::server_error,
                           core::sanitize("cannot rename the package archive: " + error.message()));
    path_ = target;
}

namespace {

planned_runtime_env plan(const boost::json::object& runtime_env, const packaging_environment& environment,
                         const packaging_options& options, const std::optional<std::string>& ray_commit,
                         const std::filesystem::path* speculative_root) {
    core::runtime_env_normalization normalization;
    normalization.ray_commit = ray_commit;
    normalization.local_dev_mode = variable(environment.variables, "RAY_RUNTIME_ENV_LOCAL_DEV_MODE").has_value();
    core::normalized_runtime_env normalized =
        core::normalize_runtime_env(runtime_env, environment.files, normalization);

    planned_runtime_env out;
    if (!normalized.local_paths.empty()) {
        const planner plan(environment, options, normalized.excludes, speculative_root);
        for (const core::local_package_path& local : normalized.local_paths) {
            std::optional<package_file> archive;
            package_info info = plan.plan(local, &archive);
            if (local.kind == core::package_field::working_dir) {
                normalized.runtime_env["working_dir"] = info.uri;
            } else {
                normalized.runtime_env["py_modules"].as_array()[local.index] = info.uri;
            }
            if (archive) info.archive_size = archive->size();
            out.prepared.packages.push_back(std::move(info));
            out.archives.push_back(std::move(archive));
        }
    }
    out.prepared.runtime_env = std::move(normalized.runtime_env);
    return out;
}

}  // namespace

prepared_runtime_env prepare_runtime_env(const boost::json::object& runtime_env,
                                         const packaging_environment& environment, const packaging_options& options,
                                         const std::optional<std::string>& ray_commit) {
    return plan(runtime_env, environment, options, ray_commit, nullptr).prepared;
}

planned_runtime_env plan_packages(const boost::json::object& runtime_env, const packaging_environment& environment,
                                  const packaging_options& options, const std::filesystem::path& temporary_root) {
    return plan(runtime_env, environment, options, std::nullopt, &temporary_root);
}

int compression_level(package_compression policy, std::uint64_t size_limit, const package_tree& tree,
                      std::uint64_t compressible_bytes) {
    switch (policy) {
        case package_compression::never:
            return 0;
        case package_compression::always:
            return default_compression_level;
        case package_compression::automatic:
            break;
    }
    if (stored_zip_size(tree) > size_limit) return default_compression_level;
    return compressible_bytes >= automatic_deflate_threshold ? default_compression_level : 0;
}

package_file build_package(const package_info& package, const packaging_options& options,
                           const std::filesystem::path& temporary_root) {
    const detail::package_contents* contents = detail::package_access::contents(package);
    const std::string field = "runtime_env." + package.field;
    if (!contents) reject(field, "this package was not planned by prepare_runtime_env");

    if (package.kind == package_source_kind::archive) {
        const file_status status = stat_following_links(package.path, field, display(package.source));
        if (status.kind != file_kind::regular || status.size != package.size)
            reject(field, display(package.source) + " changed since it was hashed; submit again once it is stable");
        if (status.size > options.size_limit) throw package_too_large_error(package, status.size, options.size_limit);
        return package_file(package.path, status.size);
    }
    // Stored entries make the zip larger than its files: no need to write it to know.
    std::uint64_t compressible = 0;
    for (const package_entry& entry : contents->tree.entries)
        if (!entry.is_directory && entry.compressible) compressible += entry.size;
    if (compression_level(options.compression, options.size_limit, contents->tree, compressible) == 0 &&
        contents->tree.content_bytes > options.size_limit)
        throw package_too_large_error(package, contents->tree.content_bytes, options.size_limit);
    try {
        return write_archive(package, contents->tree, options, temporary_root, nullptr);
    } catch (const client_error& error) {
        // A file that no longer hashes as planned: if the plan came from the hash cache, the
        // cache must not say so again.
        if (error.kind() == error_kind::invalid_argument && contents->cache_directory &&
            error.message().find("changed while it was being packaged") != std::string::npos)
            hash_cache::forget(*contents->cache_directory, package.path);
        throw;
    }
}

namespace {

// "<field>: the package of 'dir' is X MiB, <over the limit> (...). Largest included: ...".
std::string too_large_message(const package_info& package, std::uint64_t package_bytes, std::string_view over_limit) {
    std::string message = "runtime_env." + package.field + ": ";
    if (package.kind == package_source_kind::archive) {
        message += "the archive " + display(package.source) + " is " + mebibytes(package_bytes) + ", " +
                   std::string(over_limit) +
                   "; make it smaller, or host it elsewhere and pass its URI (s3://, gs://, https://...)";
    } else {
        message += "the package of " + display(package.source) + " is " + mebibytes(package_bytes) + ", " +
                   std::string(over_limit) + " (" + std::to_string(package.file_count) + " files, " +
                   mebibytes(package.size) + " before compression). Largest included:";
        for (const package_size_entry& entry : package.largest)
            message += " " + display(entry.path) + " " + mebibytes(entry.bytes) + ",";
        if (!package.largest.empty()) message.pop_back();
        message +=
            ". Leave files out with the runtime_env \"excludes\" list or a .rayignore file (gitignore syntax), "
            "or host large data elsewhere and pass a remote URI";
    }
    return core::sanitize(message, {}, 4096);
}

}  // namespace

client_error package_too_large_error(const package_info& package, std::uint64_t package_bytes, std::uint64_t limit) {
    return client_error(error_kind::invalid_argument,
                        too_large_message(package, package_bytes, "more than the upload limit of " + mebibytes(limit)));
}

client_error package_refused_as_too_large(const package_info& package, std::uint64_t package_bytes, std::string request,
                                          int http_status) {
    return client_error(error_kind::request_too_large,
                        too_large_message(package, package_bytes,
                                          "more than the dashboard accepts (it answered 413 Request Entity Too Large)"),
                        std::move(request), {}, http_status);
}

}  // namespace packaging
}  // namespace raycl
