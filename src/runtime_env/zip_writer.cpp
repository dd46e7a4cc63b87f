#include "runtime_env/zip_writer.hpp"

#include "runtime_env/file_io.hpp"
#include "runtime_env/sha1.hpp"

#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace raycl::packaging {
namespace {

constexpr std::uint32_t msdos_directory_bit = 0x10;

[[noreturn]] void fail(std::string_view field, std::string_view problem) {
    throw client_error(error_kind::server_error, core::sanitize(std::string(field) + ": " + std::string(problem)));
}

// Python's ZipInfo.from_file(strict_timestamps=False): local times before 1980 become
// 1980-01-01 00:00:00 and after 2107 become 2107-12-31 23:59:59 (libzip clamps the year only).
std::time_t zip_time(std::int64_t mtime) {
    std::time_t t = static_cast<std::time_t>(mtime);
    std::tm local{};
    if (!::localtime_r(&t, &local)) return t;
    auto at = [](int year, int month, int day, int hour, int minute, int second) {
        std::tm tm{};
        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;
        tm.tm_isdst = -1;
        return std::mktime(&tm);
    };
    if (local.tm_year + 1900 < 1980) return at(1980, 1, 1, 0, 0, 0);
    if (local.tm_year + 1900 > 2107) return at(2107, 12, 31, 23, 59, 59);
    return t;
}

// Shared by every file source of one archive.
struct write_state {
    const zip_settings& settings;
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    std::exception_ptr failure{};  // thrown inside a libzip callback, rethrown after zip_close
};

// A libzip source that reads one planned file, re-hashing it on the way.
struct file_source {
    const package_entry* entry;
    write_state* state;
    file_descriptor fd{};
    std::unique_ptr<sha1> hasher{};
    std::uint64_t read = 0;
    zip_error_t error{};

    zip_int64_t fail_with(int code, int system_error = 0) {
        zip_error_set(&error, code, system_error);
        return -1;
    }

    // Runs `step`, turning an exception into a stored failure and a libzip error.
    template <class Step>
    zip_int64_t guarded(Step step) {
        try {
            return step();
        } catch (...) {
            if (!state->failure) state->failure = std::current_exception();
            return fail_with(ZIP_ER_CANCELLED);
        }
    }

    // The planned URI no longer describes the file: uploading it would poison the cache.
    [[noreturn]] void changed() const {
        reject(state->settings.field,
               display(entry->name) + " changed while it was being packaged; submit again once it is stable");
    }

    zip_int64_t open() {
        return guarded([&]() -> zip_int64_t {
            fd = open_for_reading(entry->source, state->settings.field, display(entry->name));
            hasher = std::make_unique<sha1>();
            hasher->update(entry->name);
            read = 0;
            return 0;
        });
    }

    zip_int64_t read_into(void* data, zip_uint64_t length) {
        while (true) {
            const ssize_t got =
                ::read(fd.get(), data, static_cast<std::size_t>(std::min<zip_uint64_t>(length, 1 << 20)));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return fail_with(ZIP_ER_READ, errno);
            return guarded([&]() -> zip_int64_t {
                hasher->update(data, static_cast<std::size_t>(got));
                read += static_cast<std::uint64_t>(got);
                if (read > entry->size) changed();
                state->done += static_cast<std::uint64_t>(got);
                if (state->settings.progress)
                    state->settings.progress(state->done, std::max(state->done, state->total));
                return got;
            });
        }
    }

    zip_int64_t close() {
        fd = file_descriptor();
        return guarded([&]() -> zip_int64_t {
            const auto digest = hasher->finish();
            if (read != entry->size || !std::equal(entry->digest.begin(), entry->digest.end(), digest.begin()))
                changed();
            return 0;
        });
    }

    zip_int64_t stat(void* data, zip_uint64_t length) {
        auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &error);
        if (!st) return -1;
        zip_stat_init(st);
        st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
        st->size = entry->size;
        st->mtime = zip_time(entry->mtime);
        return sizeof(*st);
    }

    static zip_int64_t callback(void* user, void* data, zip_uint64_t length, zip_source_cmd_t command) {
        auto* self = static_cast<file_source*>(user);
        switch (command) {
            case ZIP_SOURCE_OPEN:
                return self->open();
            case ZIP_SOURCE_READ:
                return self->read_into(data, length);
            case ZIP_SOURCE_CLOSE:
                return self->close();
            case ZIP_SOURCE_STAT:
                return self->stat(data, length);
            case ZIP_SOURCE_ERROR:
                return zip_error_to_data(&self->error, data, length);
            case ZIP_SOURCE_FREE:
                zip_error_fini(&self->error);
                return 0;
            case ZIP_SOURCE_SUPPORTS:
                return ZIP_SOURCE_SUPPORTS_READABLE;
            default:
                return self->fail_with(ZIP_ER_OPNOTSUPP);
        }
    }
};

struct zip_discarder {
    void operator()(zip_t* archive) const noexcept { zip_discard(archive); }
};

}  // namespace

temporary_directory::temporary_directory(const std::filesystem::path& parent) {
    std::string pattern = (parent / "raycl-package-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw client_error(error_kind::server_error, core::sanitize("cannot create a temporary directory under " +
                                                                    parent.string() + ": " + std::strerror(errno)));
    path_ = pattern;
}

temporary_directory::~temporary_directory() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void write_zip(const package_tree& tree, const std::filesystem::path& target, const zip_settings& settings) {
    if (tree.entries.empty()) {
        // libzip writes no file for an archive without entries; Ray's ZipFile writes the
        // 22-byte end-of-central-directory record alone (e.g. when excludes=["*"]).
        static constexpr char empty_zip[22] = {'P', 'K', 5, 6};
        const file_descriptor fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd || ::write(fd.get(), empty_zip, sizeof empty_zip) != static_cast<ssize_t>(sizeof empty_zip))
            fail(settings.field, std::string("cannot write the zip: ") + std::strerror(errno));
        return;
    }
    // Declared before the archive: zip_discard (the archive's deleter) calls back into them.
    write_state state{settings, 0, tree.content_bytes, nullptr};
    // libzip keeps pointers to these until the archive is closed: no reallocation after this.
    std::vector<file_source> sources;
    int open_error = 0;
    std::unique_ptr<zip_t, zip_discarder> archive(zip_open(target.c_str(), ZIP_CREATE | ZIP_EXCL, &open_error));
    if (!archive) {
        zip_error_t error;
        zip_error_init_with_code(&error, open_error);
        const std::string text = zip_error_strerror(&error);
        zip_error_fini(&error);
        fail(settings.field, "cannot create the zip: " + text);
    }
    sources.reserve(tree.entries.size());
    for (const package_entry& entry : tree.entries) {
        zip_int64_t index = -1;
        if (entry.is_directory) {
            index = zip_dir_add(archive.get(), entry.archive_name.c_str(), ZIP_FL_ENC_UTF_8);
        } else {
            sources.push_back(file_source{&entry, &state});
            zip_error_init(&sources.back().error);
            zip_error_t error;
            zip_error_init(&error);
            zip_source_t* source = zip_source_function_create(&file_source::callback, &sources.back(), &error);
            zip_error_fini(&error);
            if (!source) fail(settings.field, "libzip cannot create a source");
            index = zip_file_add(archive.get(), entry.archive_name.c_str(), source, ZIP_FL_ENC_UTF_8);
            if (index < 0) zip_source_free(source);
        }
        if (index < 0)
            fail(settings.field, "cannot add " + display(entry.archive_name) + ": " + zip_strerror(archive.get()));
        const auto entry_index = static_cast<zip_uint64_t>(index);
        const std::uint32_t attributes =
            ((entry.mode & 0xFFFFu) << 16) | (entry.is_directory ? msdos_directory_bit : 0u);
        const bool deflate = entry.compressible && settings.compression_level > 0;
        if (zip_file_set_external_attributes(archive.get(), entry_index, 0, ZIP_OPSYS_UNIX, attributes) != 0 ||
            zip_file_set_mtime(archive.get(), entry_index, zip_time(entry.mtime), 0) != 0 ||
            zip_set_file_compression(archive.get(), entry_index, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                     deflate ? static_cast<zip_uint32_t>(settings.compression_level) : 0) != 0)
            fail(settings.field,
                 "cannot set the attributes of " + display(entry.archive_name) + ": " + zip_strerror(archive.get()));
    }
    if (settings.progress) settings.progress(0, tree.content_bytes);
    if (zip_close(archive.get()) != 0) {
        if (state.failure) std::rethrow_exception(state.failure);
        fail(settings.field, std::string("cannot write the zip: ") + zip_strerror(archive.get()));
    }
    archive.release();  // zip_close freed it
    if (state.failure) std::rethrow_exception(state.failure);
}

}  // namespace raycl::packaging
