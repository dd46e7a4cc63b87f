// Writes a package as a zip with libzip: the entries Ray's _zip_files writes, with the same
// names, Unix modes and times, optionally deflated. Reads each file once while writing it,
// hashing it on the way: a file planned with a digest must still have it, a file planned
// without one (hash_cache miss, deferred) gets it computed. Small compressible files are read,
// hashed and deflated (libdeflate) ahead of the writer by worker threads, within a bounded window,
// and handed to libzip as already-compressed data; other files are streamed by libzip. Memory
// stays bounded whatever the package's size.
#pragma once

#include "runtime_env/package_tree.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace raycl::packaging {

/// A fresh directory under `parent`, removed with everything in it when destroyed.
class temporary_directory {
public:
    /// Creates `<parent>/raycl-package-XXXXXX`.
    /// @throws client_error 500 when it cannot be created.
    explicit temporary_directory(const std::filesystem::path& parent);
    ~temporary_directory();
    temporary_directory(temporary_directory&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    temporary_directory& operator=(temporary_directory&&) = delete;
    temporary_directory(const temporary_directory&) = delete;
    temporary_directory& operator=(const temporary_directory&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

/// How to write the zip.
struct zip_settings {
    /// Deflate level 1..9 for the files marked compressible (libdeflate for files deflated by the
    /// workers, zlib through libzip for larger ones); 0 stores every entry (as Ray does).
    int compression_level = 1;
    /// Names the package in messages.
    std::string field{};
    /// Reports bytes of file content written so far; may throw to stop (the zip is discarded).
    byte_progress progress{};
    /// Threads that read, hash and deflate small files ahead of the writer (0 or 1: none ahead,
    /// libzip deflates on the calling thread).
    std::size_t threads = 1;
    /// Per entry, whether it is worth deflating (compressible_entries()); computed when unset.
    const std::vector<bool>* compressible = nullptr;
};

/// Per entry, whether it is worth deflating: known from hashing, else from its first bytes
/// (read now: libzip needs every entry's method before it writes any). Directories: false.
/// @throws client_error 400 when a file cannot be read.
std::vector<bool> compressible_entries(const package_tree& tree, std::string_view field, std::size_t threads);

/// Files up to this size are deflated by the workers, in memory; larger ones by libzip, streamed.
inline constexpr std::uint64_t precompress_limit = std::uint64_t{4} << 20;
/// Bytes of file content the workers may hold ahead of the writer.
inline constexpr std::uint64_t precompress_window = std::uint64_t{16} << 20;

/// Writes `tree.entries` to a new zip at `target` (which must not exist). Files are written
/// with external attributes `(st_mode & 0xFFFF) << 16`, directories also with the MS-DOS
/// directory bit 0x10, times clamped to 1980..2107 as Python's ZipFile(strict_timestamps=False)
/// does; names are flagged UTF-8 when they are not ASCII. Entries whose digest is not known are
/// hashed while written: `found` (required then) receives, per entry index, what was found.
/// @throws client_error 400 when a file cannot be read or changed since it was hashed (its
/// URI would no longer describe it), 500 when libzip fails; whatever `progress` throws.
void write_zip(const package_tree& tree, const std::filesystem::path& target, const zip_settings& settings,
               std::vector<file_digest>* found = nullptr);

}  // namespace raycl::packaging
