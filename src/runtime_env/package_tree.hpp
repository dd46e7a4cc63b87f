// The files of a package and Ray's content hash of them (ray/_private/runtime_env/packaging.py:
// _dir_travel, _hash_directory, _hash_file, _zip_files, get_uri_for_package). Reads the file
// system; no network.
#pragma once

#include "core/runtime_env_uri.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace raycl::packaging {

/// Bytes done and bytes in all, for progress reports.
using byte_progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// One entry of the zip Ray would write: a regular file, or a directory that is empty on disk.
struct package_entry {
    std::string name{};              ///< Name in the hash: relative to the root, "." for the root
    std::string archive_name{};      ///< Name in the zip: "sub/a.txt", "emptydir/", "./", "mypkg/a.py"
    std::filesystem::path source{};  ///< Where it is on disk (through symbolic links, as given)
    bool is_directory = false;
    std::uint64_t size = 0;       ///< File bytes (0 for a directory)
    std::uint32_t mode = 0;       ///< st_mode, symbolic links followed
    std::int64_t mtime = 0;       ///< st_mtime in seconds
    core::package_hash digest{};  ///< First 8 bytes of SHA-1(name || content), files only
    /// Worth deflating: the byte entropy of its first 8 KiB is at most 7.5 bits (random data
    /// and already compressed formats are stored as they are). False for empty files.
    bool compressible = false;
};

/// What a package holds and its hash.
struct package_tree {
    core::package_hash hash{};             ///< Ray's XOR of SHA-1 prefixes, seeded with "00000000"
    std::vector<package_entry> entries{};  ///< In archive order (directories sorted by name)
    std::uint64_t content_bytes = 0;       ///< Sum of the file sizes
    std::uint64_t file_count = 0;
};

/// How a directory is walked.
struct directory_scan {
    /// Read `.gitignore` files (off when RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1); `.rayignore`
    /// files are always read.
    bool include_gitignore = true;
    /// gitwildmatch patterns relative to the root (working_dir: Ray's default excludes first).
    std::vector<std::string> excludes{};
    /// Prefix of every archive name: "" for a working_dir, "<dir name>/" for py_modules.
    std::string archive_prefix{};
    /// Names the package in messages, e.g. "runtime_env.working_dir".
    std::string field{};
    /// Reports hashed bytes; may throw to stop.
    byte_progress progress{};
};

/// Walks a directory as Ray's _dir_travel does and hashes it as _hash_directory does.
/// Ignore files apply relative to their own directory, `excludes` relative to the root; a
/// path matched by any of them is skipped with everything below it (the root too, as ".").
/// Symbolic links are followed; entries that are neither regular files nor directories
/// (dangling links, sockets, FIFOs, devices) enter the hash by name only and are not archived,
/// as in Ray.
/// @throws client_error 400 naming `field` for: a symbolic-link loop (Ray would recurse
/// until the kernel's ELOOP), a name that is not UTF-8 (Ray's hash fails on it), an unreadable
/// file or directory, an ignore file that is not UTF-8 or has a pattern pathspec rejects.
package_tree scan_directory(const std::filesystem::path& root, const directory_scan& options);

/// A single `.py` module as _hash_file names it (SHA-1 of its name and content) and as
/// _zip_files stores it: the only entry, at the archive root.
/// @throws client_error 400 naming `field` when it is not a readable regular file.
package_tree scan_module_file(const std::filesystem::path& file, std::string_view field, const byte_progress& progress);

/// Lower-case hex SHA-1 of a file's bytes (get_uri_for_package's name of an archive).
/// @throws client_error 400 naming `field` when it cannot be read.
std::string file_sha1_hex(const std::filesystem::path& file, std::string_view field, const byte_progress& progress);

}  // namespace raycl::packaging
