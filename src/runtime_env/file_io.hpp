// The few file-system calls packaging makes, with errors turned into client_error 400.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl::packaging {

/// What a path is once symbolic links are followed.
enum class file_kind {
    regular,
    directory,
    other,  ///< A dangling link, socket, FIFO or device: neither hashed by content nor archived.
};

/// The parts of stat(2) packaging uses.
struct file_status {
    file_kind kind = file_kind::other;
    std::uint64_t size = 0;
    std::uint32_t mode = 0;
    std::int64_t mtime = 0;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t mtime_ns = 0;  ///< st_mtim in nanoseconds since the epoch
    std::int64_t ctime_ns = 0;  ///< st_ctim in nanoseconds since the epoch
};

/// Throws client_error 400 "<field>: <problem>" (sanitized: bytes that are not UTF-8 become '?').
[[noreturn]] void reject(std::string_view field, std::string_view problem);

/// A path quoted for a message: 'sub/a.txt'.
std::string display(std::string_view path);

/// stat(2), following links. A dangling link is `other`; a link loop and any other failure
/// are a 400 naming `field` and `shown`.
file_status stat_following_links(const std::filesystem::path& path, std::string_view field, std::string_view shown);

/// Python's Path.is_file(): true for a regular file once links are followed, false otherwise.
bool is_regular_file_following_links(const std::filesystem::path& path) noexcept;

/// The names in a directory (without "." and ".."), sorted bytewise.
std::vector<std::string> list_directory(const std::filesystem::path& path, std::string_view field,
                                        std::string_view shown);

/// The whole content of a small file (an ignore file or a requirements file; at most 16 MiB).
std::string read_small_file(const std::filesystem::path& path, std::string_view field, std::string_view shown);

/// Reads a file in chunks of at most 256 KiB, handing each to `consume`.
void read_file_chunks(const std::filesystem::path& path, std::string_view field,
                      const std::function<void(const char* data, std::size_t size)>& consume);

/// RAII file descriptor.
class file_descriptor {
public:
    explicit file_descriptor(int fd = -1) noexcept : fd_(fd) {}
    ~file_descriptor();
    file_descriptor(file_descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    file_descriptor& operator=(file_descriptor&& other) noexcept;
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;

    int get() const noexcept { return fd_; }
    /// Closes it now; false (errno set) when close(2) reports an error, e.g. a deferred write.
    bool close() noexcept;
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_;
};

/// Opens a file for reading; a 400 naming `field` and `shown` when it cannot be.
file_descriptor open_for_reading(const std::filesystem::path& path, std::string_view field, std::string_view shown);

}  // namespace raycl::packaging
