// Writes a package as a zip with libzip: the entries Ray's _zip_files writes, with the same
// names, Unix modes and times, optionally deflated. Reads each file while writing it, so memory
// does not grow with the package; checks that each file still hashes as it did when planned.
#pragma once

#include "runtime_env/package_tree.hpp"

#include <filesystem>
#include <string>

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
    /// zlib level 1..9 for the files marked compressible; 0 stores every entry (as Ray does).
    int compression_level = 1;
    /// Names the package in messages.
    std::string field{};
    /// Reports bytes of file content written so far; may throw to stop (the zip is discarded).
    byte_progress progress{};
};

/// Writes `tree.entries` to a new zip at `target` (which must not exist). Files are written
/// with external attributes `(st_mode & 0xFFFF) << 16`, directories also with the MS-DOS
/// directory bit 0x10, times clamped to 1980..2107 as Python's ZipFile(strict_timestamps=False)
/// does; names are flagged UTF-8 when they are not ASCII.
/// @throws client_error 400 when a file cannot be read or changed since it was hashed (its
/// URI would no longer describe it), 500 when libzip fails; whatever `progress` throws.
void write_zip(const package_tree& tree, const std::filesystem::path& target, const zip_settings& settings);

}  // namespace raycl::packaging
