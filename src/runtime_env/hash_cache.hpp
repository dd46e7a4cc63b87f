// A persistent cache of per-file content hashes, so that a tree packaged again is checked with
// stat(2) instead of reading every file: like git's index, an entry is keyed by the file's path
// in the package and its size, mtime, ctime, inode and device, and follows git's "racily clean"
// rule: an entry whose file was modified (mtime or ctime) less than `racy_margin` before the
// entry was recorded is never trusted, since the file may have changed again within the same
// timestamp tick without its stat data changing. One file per package root, under
// `<cache dir>/hashes/`; written atomically (temporary file + rename), holding only the entries
// of the last run; a file that is unreadable, corrupt or of another root is ignored.
#pragma once

#include "core/runtime_env_uri.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace raycl::packaging {

/// What identifies one version of a file, as stat(2) reports it (links followed).
struct file_identity {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::uint64_t inode = 0;
    std::uint64_t device = 0;

    friend bool operator==(const file_identity&, const file_identity&) = default;
};

/// What hashing a file found: its contribution to the package hash and whether it compresses.
struct file_digest {
    core::package_hash digest{};  ///< First 8 bytes of SHA-1(name || content)
    bool compressible = false;    ///< See package_entry::compressible
};

/// How much older than its recording a file must be for its entry to be trusted: more than any
/// file system's timestamp granularity (FAT: 2 s; ext4, XFS, btrfs, tmpfs: a clock tick).
inline constexpr std::int64_t racy_margin_ns = std::int64_t{2'000'000'000};

/// The wall clock in nanoseconds (CLOCK_REALTIME, the clock file times are set from).
std::int64_t wall_clock_ns() noexcept;

/// The default cache directory: `$XDG_CACHE_HOME/raycl`, else `$HOME/.cache/raycl`; nullopt
/// when neither is set.
std::optional<std::filesystem::path> default_cache_directory();

/// The cached hashes of one package root.
class hash_cache {
public:
    /// No cache: every lookup misses, nothing is saved.
    hash_cache() = default;
    /// The cache of `root` under `directory` (loaded now; a missing or bad file is an empty cache).
    hash_cache(const std::filesystem::path& directory, const std::filesystem::path& root);

    /// The digest recorded for `name` if the file still has `identity` and was already
    /// `racy_margin_ns` old when it was recorded; counts a hit or a miss.
    std::optional<file_digest> find(const std::string& name, const file_identity& identity);
    /// Records what hashing `name` found; `recorded_ns` is a time taken before it was read.
    void record(const std::string& name, const file_identity& identity, const file_digest& digest,
                std::int64_t recorded_ns);
    /// Writes the entries found or recorded since loading, when they differ from the file's.
    /// Failures are ignored: the cache only saves time.
    void save();

    /// Removes the cache file of `root` (after it was found wrong).
    static void forget(const std::filesystem::path& directory, const std::filesystem::path& root) noexcept;

    bool enabled() const noexcept { return !path_.empty(); }
    std::uint64_t hits() const noexcept { return hits_; }
    std::uint64_t misses() const noexcept { return misses_; }

private:
    struct entry {
        file_identity identity;
        file_digest digest;
        std::int64_t recorded_ns = 0;
        bool used = false;  ///< found or recorded in this run: kept when saving
    };

    std::filesystem::path path_;
    std::string root_;
    std::unordered_map<std::string, entry> entries_;
    std::size_t loaded_ = 0;
    bool changed_ = false;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

}  // namespace raycl::packaging
