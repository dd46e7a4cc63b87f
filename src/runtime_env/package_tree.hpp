// The files of a package and Ray's content hash of them (ray/_private/runtime_env/packaging.py:
// _dir_travel, _hash_directory, _hash_file, _zip_files, get_uri_for_package). Reads the file
// system; no network.
#pragma once

#include "runtime_env/hash_cache.hpp"

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
    /// `digest` and `compressible` are set. False for a file left for the zip writer to hash
    /// (directory_scan::defer_unknown).
    bool digest_known = false;
    file_identity identity{};  ///< stat data of a file, for the hash cache
};

/// What a package holds and its hash.
struct package_tree {
    /// Ray's XOR of SHA-1 prefixes, seeded with "00000000"; valid once every file digest is
    /// known (see finish_hash).
    core::package_hash hash{};
    /// The seed XORed with the names of directories and other nodes: `hash` without the files.
    core::package_hash names_hash{};
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
    /// Digests of unchanged files come from it (no read), new digests are recorded in it.
    hash_cache* cache = nullptr;
    /// Files the cache does not know are left unread (`digest_known` false): the caller zips
    /// them at once and the zip writer hashes them (one read of each file).
    bool defer_unknown = false;
    /// Threads that read and hash files at once.
    std::size_t threads = 1;
    /// The wall clock new cache entries are recorded with (nanoseconds).
    std::function<std::int64_t()> clock = wall_clock_ns;
};

/// True when every file of the tree has its digest.
bool all_digests_known(const package_tree& tree) noexcept;

/// Sets `tree.hash` from `names_hash` and every file digest (which must all be known).
void finish_hash(package_tree& tree) noexcept;

/// The compressibility test of package_entry::compressible, on the first bytes of a file.
bool looks_compressible(const char* data, std::size_t size) noexcept;
/// How much of a file looks_compressible() looks at.
inline constexpr std::size_t compressibility_sample = 8192;

/// Walks a directory as Ray's _dir_travel does and hashes it as _hash_directory does (the
/// files the cache knows are not read; with `defer_unknown` neither are the others, and the
/// hash is left for finish_hash).
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
