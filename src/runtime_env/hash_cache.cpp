#include "runtime_env/hash_cache.hpp"

#include "runtime_env/file_io.hpp"
#include "runtime_env/sha1.hpp"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace raycl::packaging {
namespace {

// Layout (little-endian, as written by this machine; another machine's file is another tree's):
// magic, root length + root, count, then per entry: name length + name, size, mtime_ns,
// ctime_ns, inode, device, recorded_ns, 8 digest bytes, 1 flags byte.
constexpr char magic[8] = {'R', 'A', 'Y', 'C', 'L', 'H', 'C', '1'};
constexpr std::size_t max_name = 64 * 1024;
constexpr std::size_t max_cache_file = std::size_t{256} << 20;

class reader {
public:
    explicit reader(std::string_view data) : data_(data) {}

    template <class T>
    bool read(T& value) {
        if (data_.size() - offset_ < sizeof(T)) return false;
        std::memcpy(&value, data_.data() + offset_, sizeof(T));
        offset_ += sizeof(T);
        return true;
    }
    bool read(std::string& text) {
        std::uint32_t size = 0;
        if (!read(size) || size > max_name || data_.size() - offset_ < size) return false;
        text.assign(data_.data() + offset_, size);
        offset_ += size;
        return true;
    }
    bool done() const noexcept { return offset_ == data_.size(); }

private:
    std::string_view data_;
    std::size_t offset_ = 0;
};

template <class T>
void append(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void append(std::string& out, std::string_view text) {
    append(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

std::string file_name_for(const std::string& root) {
    sha1 hasher;
    hasher.update(root);
    const auto digest = hasher.finish();
    return core::lower_hex(digest.data(), 8) + ".bin";
}

}  // namespace

std::int64_t wall_clock_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::optional<std::filesystem::path> default_cache_directory() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/')
        return std::filesystem::path(xdg) / "raycl";
    if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "raycl";
    return std::nullopt;
}

void hash_cache::forget(const std::filesystem::path& directory, const std::filesystem::path& root) noexcept {
    std::error_code ignored;
    std::filesystem::remove(directory / "hashes" / file_name_for(root.string()), ignored);
}

hash_cache::hash_cache(const std::filesystem::path& directory, const std::filesystem::path& root)
    : path_(directory / "hashes" / file_name_for(root.string())), root_(root.string()) {
    std::string data;
    try {
        if (!is_regular_file_following_links(path_)) return;
        std::ifstream in(path_, std::ios::binary);
        data.assign(std::istreambuf_iterator<char>(in), {});
        if (!in.good() && !in.eof()) return;
    } catch (...) {
        return;
    }
    if (data.size() > max_cache_file) return;
    reader in(data);
    char header[sizeof magic] = {};
    std::string root_in_file;
    std::uint64_t count = 0;
    if (!in.read(header) || std::memcmp(header, magic, sizeof magic) != 0 || !in.read(root_in_file) ||
        root_in_file != root_ || !in.read(count))
        return;
    std::unordered_map<std::string, entry> loaded;
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string name;
        entry e;
        std::uint8_t flags = 0;
        if (!in.read(name) || !in.read(e.identity.size) || !in.read(e.identity.mtime_ns) ||
            !in.read(e.identity.ctime_ns) || !in.read(e.identity.inode) || !in.read(e.identity.device) ||
            !in.read(e.recorded_ns) || !in.read(e.digest.digest) || !in.read(flags))
            return;
        e.digest.compressible = (flags & 1) != 0;
        loaded.emplace(std::move(name), e);
    }
    if (!in.done()) return;
    entries_ = std::move(loaded);
    loaded_ = entries_.size();
}

std::optional<file_digest> hash_cache::find(const std::string& name, const file_identity& identity) {
    if (!enabled()) return std::nullopt;
    const auto it = entries_.find(name);
    const bool trusted = it != entries_.end() && it->second.identity == identity &&
                         identity.mtime_ns < it->second.recorded_ns - racy_margin_ns &&
                         identity.ctime_ns < it->second.recorded_ns - racy_margin_ns;
    if (!trusted) {
        ++misses_;
        return std::nullopt;
    }
    ++hits_;
    it->second.used = true;
    return it->second.digest;
}

void hash_cache::record(const std::string& name, const file_identity& identity, const file_digest& digest,
                        std::int64_t recorded_ns) {
    if (!enabled()) return;
    entry& e = entries_[name];
    e.identity = identity;
    e.digest = digest;
    e.recorded_ns = recorded_ns;
    e.used = true;
    changed_ = true;
}

void hash_cache::save() {
    if (!enabled()) return;
    std::size_t used = 0;
    for (const auto& [name, e] : entries_) used += e.used ? 1 : 0;
    if (!changed_ && used == loaded_) return;  // the file already holds exactly these entries
    std::string out;
    out.append(magic, sizeof magic);
    append(out, std::string_view(root_));
    append(out, static_cast<std::uint64_t>(used));
    for (const auto& [name, e] : entries_) {
        if (!e.used) continue;
        append(out, std::string_view(name));
        append(out, e.identity.size);
        append(out, e.identity.mtime_ns);
        append(out, e.identity.ctime_ns);
        append(out, e.identity.inode);
        append(out, e.identity.device);
        append(out, e.recorded_ns);
        append(out, e.digest.digest);
        append(out, static_cast<std::uint8_t>(e.digest.compressible ? 1 : 0));
    }
    std::error_code error;
    // The names of a user's files: readable by the user alone.
    if (std::filesystem::create_directories(path_.parent_path(), error))
        std::filesystem::permissions(path_.parent_path(), std::filesystem::perms::owner_all, error);
    if (error) return;
    std::string temporary = path_.string() + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) return;
    bool written = true;
    for (std::size_t offset = 0; offset < out.size() && written;) {
        const ssize_t n = ::write(fd, out.data() + offset, out.size() - offset);
        if (n < 0 && errno == EINTR) continue;
        written = n > 0;
        if (written) offset += static_cast<std::size_t>(n);
    }
    written = ::close(fd) == 0 && written;
    if (!written || ::rename(temporary.c_str(), path_.c_str()) != 0) ::unlink(temporary.c_str());
}

}  // namespace raycl::packaging
