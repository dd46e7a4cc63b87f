#include "runtime_env/file_io.hpp"

#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace raycl::packaging {
namespace {

constexpr std::size_t max_small_file = std::size_t{16} << 20;
constexpr std::size_t chunk_size = std::size_t{256} << 10;

std::string reason(int error) {
    return std::strerror(error);
}

file_kind kind_of(mode_t mode) noexcept {
    if (S_ISREG(mode)) return file_kind::regular;
    if (S_ISDIR(mode)) return file_kind::directory;
    return file_kind::other;
}

}  // namespace

void reject(std::string_view field, std::string_view problem) {
    throw client_error(error_kind::invalid_argument,
                       core::sanitize(std::string(field) + ": " + std::string(problem), {}, 4096));
}

std::string display(std::string_view path) {
    return "'" + core::one_line(path) + "'";
}

file_status stat_following_links(const std::filesystem::path& path, std::string_view field, std::string_view shown) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int error = errno;
        if (error == ENOENT || error == ENOTDIR) return {};  // a dangling link: Ray hashes its name only
        if (error == ELOOP)
            reject(field, std::string(shown) + " is a symbolic link loop; remove the link or exclude it");
        reject(field, "cannot access " + std::string(shown) + ": " + reason(error));
    }
    file_status out;
    out.kind = kind_of(st.st_mode);
    out.size = out.kind == file_kind::regular ? static_cast<std::uint64_t>(st.st_size) : 0;
    out.mode = static_cast<std::uint32_t>(st.st_mode);
    out.mtime = static_cast<std::int64_t>(st.st_mtime);
    out.device = static_cast<std::uint64_t>(st.st_dev);
    out.inode = static_cast<std::uint64_t>(st.st_ino);
    out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    out.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    return out;
}

bool is_regular_file_following_links(const std::filesystem::path& path) noexcept {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> list_directory(const std::filesystem::path& path, std::string_view field,
                                        std::string_view shown) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
    if (!dir) reject(field, "cannot list " + std::string(shown) + ": " + reason(errno));
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
        errno = 0;
    }
    if (errno != 0) reject(field, "cannot list " + std::string(shown) + ": " + reason(errno));
    std::sort(names.begin(), names.end());
    return names;
}

file_descriptor::~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
}

bool file_descriptor::close() noexcept {
    if (fd_ < 0) return true;
    return ::close(std::exchange(fd_, -1)) == 0;
}

file_descriptor& file_descriptor::operator=(file_descriptor&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

file_descriptor open_for_reading(const std::filesystem::path& path, std::string_view field, std::string_view shown) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (the caller checked the kind).
    file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) reject(field, "cannot read " + std::string(shown) + ": " + reason(errno));
    return fd;
}

std::string read_small_file(const std::filesystem::path& path, std::string_view field, std::string_view shown) {
    std::string out;
    read_file_chunks(path, field, [&](const char* data, std::size_t size) {
        if (out.size() + size > max_small_file)
            reject(field, std::string(shown) + " is larger than " + std::to_string(max_small_file >> 20) + " MiB");
        out.append(data, size);
    });
    return out;
}

void read_file_chunks(const std::filesystem::path& path, std::string_view field,
                      const std::function<void(const char* data, std::size_t size)>& consume) {
    const file_descriptor fd = open_for_reading(path, field, display(path.string()));
    thread_local std::unique_ptr<char[]> buffer(new char[chunk_size]);
    while (true) {
        const ssize_t got = ::read(fd.get(), buffer.get(), chunk_size);
        if (got < 0) {
            if (errno == EINTR) continue;
            reject(field, "cannot read " + display(path.string()) + ": " + reason(errno));
        }
        if (got == 0) return;
        consume(buffer.get(), static_cast<std::size_t>(got));
    }
}

}  // namespace raycl::packaging
