#include "runtime_env/zip_writer.hpp"

#include "runtime_env/file_io.hpp"
#include "runtime_env/parallel.hpp"
#include "runtime_env/sha1.hpp"

#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <libdeflate.h>
#include <zip.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
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

// Progress over all file content, and the first failure of any thread (a worker's, or one
// thrown inside a libzip callback), rethrown after zip_close. Shared by the writer's sources
// and the workers.
struct write_state {
    write_state(const zip_settings& zip, std::vector<file_digest>* digests, std::uint64_t bytes)
        : settings(zip), found(digests), total(bytes) {}

    const zip_settings& settings;
    std::vector<file_digest>* found = nullptr;
    std::uint64_t total = 0;
    std::mutex mutex;  // guards done, failure and the progress calls
    std::uint64_t done = 0;
    std::exception_ptr failure{};
    std::atomic<bool> failed{false};

    void add_progress(std::uint64_t bytes) {
        std::lock_guard lock(mutex);
        done += bytes;
        if (settings.progress) settings.progress(done, std::max(done, total));
    }
    void fail(std::exception_ptr error) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::move(error);
        failed = true;
    }
    std::exception_ptr first_failure() {
        std::lock_guard lock(mutex);
        return failure;
    }
};

// The planned URI no longer describes the file: uploading it would poison the cache.
[[noreturn]] void changed(const write_state& state, const package_entry& entry) {
    reject(state.settings.field,
           display(entry.name) + " changed while it was being packaged; submit again once it is stable");
}

// A file's digest checked against its plan, or recorded when the plan had none.
void settle_digest(write_state& state, std::size_t index, const package_entry& entry,
                   const std::array<std::uint8_t, 20>& sha, bool compressible) {
    core::package_hash digest{};
    std::copy_n(sha.begin(), digest.size(), digest.begin());
    if (entry.digest_known) {
        if (digest != entry.digest) changed(state, entry);
        return;
    }
    (*state.found)[index] = file_digest{digest, compressible};
}

// One small compressible file, read, hashed and deflated by a worker.
struct deflated_file {
    std::string data;  // raw deflate stream
    std::uint32_t crc = 0;
    bool ready = false;
};

// One libdeflate compressor per worker thread, made once (its tables are the costly part).
struct compressor_deleter {
    void operator()(libdeflate_compressor* compressor) const noexcept { libdeflate_free_compressor(compressor); }
};

libdeflate_compressor& thread_compressor(int level, std::string_view field) {
    thread_local std::unique_ptr<libdeflate_compressor, compressor_deleter> compressor;
    thread_local int compressor_level = -1;
    if (!compressor || compressor_level != level) {
        compressor.reset(libdeflate_alloc_compressor(level));
        compressor_level = level;
    }
    if (!compressor) fail(field, "libdeflate cannot start deflating");
    return *compressor;
}

// The workers that deflate small files ahead of the writer. Jobs are claimed in archive order,
// while the bytes claimed and not yet taken by the writer stay under precompress_window (one
// job is always allowed, so the writer never waits on a job nobody may take).
class deflate_workers {
public:
    deflate_workers(const package_tree& tree, std::vector<std::size_t> jobs, write_state& state, int level)
        : tree_(tree), jobs_(std::move(jobs)), results_(jobs_.size()), state_(state), level_(level) {}

    ~deflate_workers() { stop(); }
    deflate_workers(const deflate_workers&) = delete;
    deflate_workers& operator=(const deflate_workers&) = delete;

    void start(std::size_t threads) {
        try {
            for (std::size_t t = 0; t < threads; ++t) threads_.emplace_back([this] { run(); });
        } catch (const std::system_error&) {
            if (threads_.empty()) throw;  // none: the caller writes without workers
        }
    }

    void stop() noexcept {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake();
        for (auto& thread : threads_)
            if (thread.joinable()) thread.join();
    }

    // The result of job k. Rather than sleep while it is not ready, the writer does the next
    // job nobody has claimed (job k itself when no worker got to it): it sleeps only while
    // every job it could take is taken or outside the window.
    deflated_file* wait(std::size_t k) {
        std::unique_lock lock(mutex_);
        for (;;) {
            if (results_[k].ready) return &results_[k];
            if (state_.failed || stopping_) return nullptr;
            if (claimable()) {
                const std::size_t job = claim();
                lock.unlock();
                complete(job);
                lock.lock();
                continue;
            }
            writer_waits_for_ = k;
            writer_ready_.wait(lock);
            writer_waits_for_ = no_job;
        }
    }

    // The writer is done with job k: its bytes leave the window.
    void release(std::size_t k) {
        bool wake_worker = false;
        {
            std::lock_guard lock(mutex_);
            in_window_ -= tree_.entries[jobs_[k]].size;
            results_[k].data = std::string();
            wake_worker = workers_waiting_ > 0 && claimable();
        }
        if (wake_worker) space_.notify_all();
    }

    // Wakes every waiter (after a failure elsewhere, or to stop).
    void wake() {
        { std::lock_guard lock(mutex_); }  // a waiter has either seen the news or is asleep
        writer_ready_.notify_all();
        space_.notify_all();
    }

private:
    static constexpr std::size_t no_job = SIZE_MAX;

    // Under mutex_: the next job may be taken without overfilling the window (one always may).
    bool claimable() const {
        return next_ < jobs_.size() &&
               (in_window_ == 0 || in_window_ + tree_.entries[jobs_[next_]].size <= precompress_window);
    }
    std::size_t claim() {
        const std::size_t k = next_++;
        in_window_ += tree_.entries[jobs_[k]].size;
        return k;
    }

    // Produces job k and hands it over; wakes the writer only when it waits for this one.
    void complete(std::size_t k) {
        try {
            deflated_file result = produce(jobs_[k]);
            {
                std::lock_guard lock(mutex_);
                results_[k] = std::move(result);
                results_[k].ready = true;
                if (writer_waits_for_ != k) return;
            }
            writer_ready_.notify_one();
        } catch (...) {
            state_.fail(std::current_exception());
            wake();
        }
    }

    void run() {
        for (;;) {
            std::size_t k = 0;
            {
                std::unique_lock lock(mutex_);
                ++workers_waiting_;
                space_.wait(lock, [&] { return stopping_ || state_.failed || next_ == jobs_.size() || claimable(); });
                --workers_waiting_;
                if (stopping_ || state_.failed || next_ == jobs_.size()) return;
                k = claim();
            }
            complete(k);
        }
    }

    deflated_file produce(std::size_t index) {
        const package_entry& entry = tree_.entries[index];
        // One buffer per worker, reused for every file.
        thread_local std::string content;
        content.clear();
        content.reserve(static_cast<std::size_t>(entry.size));
        read_file_chunks(entry.source, state_.settings.field, [&](const char* data, std::size_t size) {
            if (content.size() + size > entry.size) changed(state_, entry);
            content.append(data, size);
        });
        if (content.size() != entry.size) changed(state_, entry);
        thread_local sha1 hasher;
        hasher.reset();
        hasher.update(entry.name);
        hasher.update(content);
        settle_digest(state_, index, entry, hasher.finish(), true);

        deflated_file out;
        out.crc = libdeflate_crc32(0, content.data(), content.size());
        // Deflated whole into a buffer of the worst-case size, kept by the worker, then copied
        // out at its real size: what waits in the window for the writer is only the compressed
        // bytes, and no fresh memory is zeroed per file.
        libdeflate_compressor& compressor = thread_compressor(level_, state_.settings.field);
        thread_local std::vector<char> scratch;
        const std::size_t bound = libdeflate_deflate_compress_bound(&compressor, content.size());
        if (scratch.size() < bound) scratch.resize(bound);
        const std::size_t size =
            libdeflate_deflate_compress(&compressor, content.data(), content.size(), scratch.data(), scratch.size());
        if (size == 0) fail(state_.settings.field, "libdeflate failed to deflate " + display(entry.name));
        out.data.assign(scratch.data(), size);
        // The writer's thread is the client's, which lives on: it keeps no more than this of it.
        constexpr std::size_t kept_buffer = std::size_t{1} << 20;
        if (content.capacity() > kept_buffer) content = std::string();
        if (scratch.size() > kept_buffer) scratch = std::vector<char>();
        state_.add_progress(entry.size);
        return out;
    }

    const package_tree& tree_;
    std::vector<std::size_t> jobs_;  // entry indices, in archive order
    std::vector<deflated_file> results_;
    write_state& state_;
    int level_;
    std::mutex mutex_;                      // guards everything below but threads_
    std::condition_variable writer_ready_;  // the job the writer waits for is ready, or a failure
    std::condition_variable space_;         // a job may be claimed, or a failure, or stop
    std::size_t next_ = 0;                  // the first job not claimed yet
    std::uint64_t in_window_ = 0;
    std::size_t writer_waits_for_ = no_job;
    std::size_t workers_waiting_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// Runs `step`, turning an exception into a stored failure and a libzip error.
template <class Step>
zip_int64_t guarded(write_state& state, zip_error_t& error, Step step) {
    try {
        return step();
    } catch (...) {
        state.fail(std::current_exception());
        zip_error_set(&error, ZIP_ER_CANCELLED, 0);
        return -1;
    }
}

// A libzip source of one entry: a file streamed (and hashed) as libzip reads it, or a file a
// worker deflated, handed over as already compressed.
struct entry_source {
    const package_entry* entry;
    std::size_t index;
    write_state* state;
    deflate_workers* workers = nullptr;  // set for a deflated file
    std::size_t job = 0;
    deflated_file* deflated = nullptr;  // the worker's result, between the first STAT and CLOSE
    bool taken = false;
    std::uint64_t deflated_size = 0;
    std::uint32_t deflated_crc = 0;
    std::size_t offset = 0;
    file_descriptor fd{};
    std::unique_ptr<sha1> hasher{};
    std::uint64_t read = 0;
    bool first = true;
    bool compressible = false;
    zip_error_t error{};

    zip_int64_t fail_with(int code, int system_error = 0) {
        zip_error_set(&error, code, system_error);
        return -1;
    }

    bool failed_elsewhere() {
        if (!state->failed) return false;
        zip_error_set(&error, ZIP_ER_CANCELLED, 0);
        return true;
    }

    // The worker's result, waited for once (libzip stats a source again after reading it).
    bool take_deflated() {
        if (taken) return true;
        deflated = workers->wait(job);
        if (!deflated) {
            zip_error_set(&error, ZIP_ER_CANCELLED, 0);
            return false;
        }
        taken = true;
        deflated_size = deflated->data.size();
        deflated_crc = deflated->crc;
        return true;
    }

    zip_int64_t open() {
        if (failed_elsewhere()) return -1;
        if (workers) {
            if (!take_deflated() || !deflated) return fail_with(ZIP_ER_INTERNAL);
            offset = 0;
            return 0;
        }
        return guarded(*state, error, [&]() -> zip_int64_t {
            fd = open_for_reading(entry->source, state->settings.field, display(entry->name));
            hasher = std::make_unique<sha1>();
            hasher->update(entry->name);
            read = 0;
            first = true;
            return 0;
        });
    }

    zip_int64_t read_into(void* data, zip_uint64_t length) {
        if (failed_elsewhere()) return -1;
        if (workers) {
            const std::size_t n = std::min<std::size_t>(length, deflated->data.size() - offset);
            std::memcpy(data, deflated->data.data() + offset, n);
            offset += n;
            return static_cast<zip_int64_t>(n);
        }
        while (true) {
            const ssize_t got =
                ::read(fd.get(), data, static_cast<std::size_t>(std::min<zip_uint64_t>(length, 1 << 20)));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return fail_with(ZIP_ER_READ, errno);
            return guarded(*state, error, [&]() -> zip_int64_t {
                if (first && got > 0)
                    compressible = looks_compressible(static_cast<const char*>(data), static_cast<std::size_t>(got));
                first = false;
                hasher->update(data, static_cast<std::size_t>(got));
                read += static_cast<std::uint64_t>(got);
                if (read > entry->size) changed(*state, *entry);
                if (got > 0) state->add_progress(static_cast<std::uint64_t>(got));
                return got;
            });
        }
    }

    zip_int64_t close() {
        if (workers) {
            if (deflated) workers->release(job);
            deflated = nullptr;
            return 0;
        }
        fd = file_descriptor();
        return guarded(*state, error, [&]() -> zip_int64_t {
            if (read != entry->size) changed(*state, *entry);
            settle_digest(*state, index, *entry, hasher->finish(), compressible);
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
        if (workers) {
            if (failed_elsewhere() || !take_deflated()) return -1;
            st->valid |= ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC;
            st->comp_size = deflated_size;
            st->comp_method = ZIP_CM_DEFLATE;
            st->crc = deflated_crc;
        }
        return sizeof(*st);
    }

    static zip_int64_t callback(void* user, void* data, zip_uint64_t length, zip_source_cmd_t command) {
        auto* self = static_cast<entry_source*>(user);
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

// The archive file as a libzip source, written through one buffer. libzip writes every entry's
// local header, then its data, then seeks back to rewrite the header with the sizes and CRC;
// through its own stdio file source each of those seeks costs a flush, an lseek and a read of
// the buffer back (about eight system calls per entry). Here a rewrite that lands in the
// buffer is a memcpy, and the file sees one pwrite per `output_buffer_size` bytes. Only for a
// new archive: libzip never reads it back.
class archive_output {
public:
    static constexpr std::size_t output_buffer_size = std::size_t{1} << 20;

    explicit archive_output(std::filesystem::path target) : target_(std::move(target)) { zip_error_init(&error_); }
    ~archive_output() { zip_error_fini(&error_); }
    archive_output(const archive_output&) = delete;
    archive_output& operator=(const archive_output&) = delete;

    static zip_int64_t callback(void* user, void* data, zip_uint64_t length, zip_source_cmd_t command) {
        auto* self = static_cast<archive_output*>(user);
        switch (command) {
            case ZIP_SOURCE_SUPPORTS:
                return zip_source_make_command_bitmap(
                    ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR,
                    ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS, ZIP_SOURCE_BEGIN_WRITE,
                    ZIP_SOURCE_COMMIT_WRITE, ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_WRITE, ZIP_SOURCE_SEEK_WRITE,
                    ZIP_SOURCE_TELL_WRITE, ZIP_SOURCE_REMOVE, -1);
            case ZIP_SOURCE_STAT:
                // Not there yet: zip_open_from_source takes ZIP_ER_READ with ENOENT as "new archive".
                return self->fail_with(ZIP_ER_READ, ENOENT);
            case ZIP_SOURCE_BEGIN_WRITE:
                return self->begin();
            case ZIP_SOURCE_WRITE:
                return self->write(data, length);
            case ZIP_SOURCE_SEEK_WRITE: {
                const zip_int64_t to =
                    zip_source_seek_compute_offset(self->position_, self->size(), data, length, &self->error_);
                if (to < 0) return -1;
                self->position_ = static_cast<std::uint64_t>(to);
                return 0;
            }
            case ZIP_SOURCE_TELL_WRITE:
                return static_cast<zip_int64_t>(self->position_);
            case ZIP_SOURCE_COMMIT_WRITE:
                return self->commit();
            case ZIP_SOURCE_ROLLBACK_WRITE:
            case ZIP_SOURCE_REMOVE:
                self->discard();
                return 0;
            case ZIP_SOURCE_ERROR:
                return zip_error_to_data(&self->error_, data, length);
            case ZIP_SOURCE_FREE:
                return 0;
            default:  // reading: a new archive is never read
                return self->fail_with(ZIP_ER_OPNOTSUPP);
        }
    }

private:
    zip_int64_t fail_with(int code, int system_error = 0) {
        zip_error_set(&error_, code, system_error);
        return -1;
    }

    std::uint64_t size() const noexcept { return std::max(file_size_, buffer_offset_ + buffer_.size()); }

    zip_int64_t begin() {
        fd_ = file_descriptor(::open(target_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd_) return fail_with(ZIP_ER_OPEN, errno);
        buffer_.reserve(output_buffer_size);
        return 0;
    }

    bool write_at(const char* data, std::size_t length, std::uint64_t offset) {
        while (length > 0) {
            const ssize_t n = ::pwrite(fd_.get(), data, length, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                fail_with(ZIP_ER_WRITE, n < 0 ? errno : ENOSPC);
                return false;
            }
            data += n;
            length -= static_cast<std::size_t>(n);
            offset += static_cast<std::uint64_t>(n);
            file_size_ = std::max(file_size_, offset);
        }
        return true;
    }

    bool flush() {
        if (buffer_.empty()) return true;
        if (!write_at(buffer_.data(), buffer_.size(), buffer_offset_)) return false;
        buffer_offset_ += buffer_.size();
        buffer_.clear();
        return true;
    }

    // The buffer holds the latest bytes of [buffer_offset_, buffer_offset_ + size); a write that
    // continues or overwrites it within its capacity stays in memory, any other flushes it first.
    zip_int64_t write(const void* data, zip_uint64_t length) {
        const char* bytes = static_cast<const char*>(data);
        const auto n = static_cast<std::size_t>(length);
        const bool inside = position_ >= buffer_offset_ && position_ <= buffer_offset_ + buffer_.size() &&
                            position_ - buffer_offset_ + n <= output_buffer_size;
        if (!inside) {
            if (!flush()) return -1;
            if (n >= output_buffer_size / 2) {
                if (!write_at(bytes, n, position_)) return -1;
                position_ += n;
                return static_cast<zip_int64_t>(n);
            }
            buffer_offset_ = position_;
        }
        const auto at = static_cast<std::size_t>(position_ - buffer_offset_);
        if (at + n > buffer_.size()) buffer_.resize(at + n);
        std::memcpy(buffer_.data() + at, bytes, n);
        position_ += n;
        return static_cast<zip_int64_t>(n);
    }

    zip_int64_t commit() {
        if (!flush()) return -1;
        if (!fd_.close()) return fail_with(ZIP_ER_CLOSE, errno);
        return 0;
    }

    void discard() noexcept {
        fd_ = file_descriptor();
        ::unlink(target_.c_str());
    }

    std::filesystem::path target_;
    file_descriptor fd_{};
    std::vector<char> buffer_{};
    std::uint64_t buffer_offset_ = 0;  // where buffer_[0] goes in the file
    std::uint64_t position_ = 0;       // libzip's write position
    std::uint64_t file_size_ = 0;      // bytes written to the file so far
    zip_error_t error_{};
};

}  // namespace

std::vector<bool> compressible_entries(const package_tree& tree, std::string_view field, std::size_t threads) {
    std::vector<bool> out(tree.entries.size(), false);
    std::vector<std::size_t> unknown;
    for (std::size_t i = 0; i < tree.entries.size(); ++i) {
        const package_entry& entry = tree.entries[i];
        if (entry.is_directory) continue;
        if (entry.digest_known)
            out[i] = entry.compressible;
        else if (entry.size > 0)
            unknown.push_back(i);
    }
    std::vector<char> sampled(unknown.size(), 0);
    parallel_for(unknown.size(), unknown.size() > 64 ? threads : 1, [&](std::size_t k) {
        const package_entry& entry = tree.entries[unknown[k]];
        const file_descriptor fd = open_for_reading(entry.source, field, display(entry.name));
        char sample[compressibility_sample];
        const ssize_t got = ::pread(fd.get(), sample, sizeof sample, 0);
        if (got < 0) reject(field, "cannot read " + display(entry.name) + ": " + std::strerror(errno));
        sampled[k] = looks_compressible(sample, static_cast<std::size_t>(got)) ? 1 : 0;
    });
    for (std::size_t k = 0; k < unknown.size(); ++k) out[unknown[k]] = sampled[k] != 0;
    return out;
}

namespace {

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

void write_zip(const package_tree& tree, const std::filesystem::path& target, const zip_settings& settings,
               std::vector<file_digest>* found) {
    if (found) found->assign(tree.entries.size(), file_digest{});
    if (tree.entries.empty()) {
        // libzip writes no file for an archive without entries; Ray's ZipFile writes the
        // 22-byte end-of-central-directory record alone (e.g. when excludes=["*"]).
        static constexpr char empty_zip[22] = {'P', 'K', 5, 6};
        const file_descriptor fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd || ::write(fd.get(), empty_zip, sizeof empty_zip) != static_cast<ssize_t>(sizeof empty_zip))
            fail(settings.field, std::string("cannot write the zip: ") + std::strerror(errno));
        return;
    }
    if (!found && !all_digests_known(tree)) fail(settings.field, "a file to zip has no digest and nowhere to put it");
    std::vector<bool> deflate(tree.entries.size(), false);
    if (settings.compression_level > 0)
        deflate = settings.compressible ? *settings.compressible
                                        : compressible_entries(tree, settings.field, settings.threads);

    // Declared before the archive: zip_discard (the archive's deleter) calls back into them,
    // and the workers must be stopped (their destructor) before the state goes.
    write_state state(settings, found, tree.content_bytes);
    std::vector<std::size_t> jobs;
    for (std::size_t i = 0; i < tree.entries.size(); ++i) {
        const package_entry& entry = tree.entries[i];
        if (deflate[i] && settings.threads > 1 && entry.size <= precompress_limit) jobs.push_back(i);
    }
    std::vector<std::size_t> job_of(tree.entries.size(), SIZE_MAX);
    for (std::size_t k = 0; k < jobs.size(); ++k) job_of[jobs[k]] = k;
    std::unique_ptr<deflate_workers> workers;
    if (!jobs.empty()) workers = std::make_unique<deflate_workers>(tree, jobs, state, settings.compression_level);
    // libzip keeps pointers to these until the archive is closed: no reallocation after this.
    std::vector<entry_source> sources;
    archive_output output(target);
    std::unique_ptr<zip_t, zip_discarder> archive;
    {
        zip_error_t error;
        zip_error_init(&error);
        zip_source_t* output_source = zip_source_function_create(&archive_output::callback, &output, &error);
        if (output_source) {
            archive.reset(zip_open_from_source(output_source, ZIP_CREATE | ZIP_EXCL, &error));
            if (!archive) zip_source_free(output_source);
        }
        const std::string text = archive ? std::string() : zip_error_strerror(&error);
        zip_error_fini(&error);
        if (!archive) fail(settings.field, "cannot create the zip: " + text);
    }
    sources.reserve(tree.entries.size());
    for (std::size_t i = 0; i < tree.entries.size(); ++i) {
        const package_entry& entry = tree.entries[i];
        zip_int64_t index = -1;
        if (entry.is_directory) {
            index = zip_dir_add(archive.get(), entry.archive_name.c_str(), ZIP_FL_ENC_UTF_8);
        } else {
            sources.push_back(entry_source{&entry, i, &state});
            if (job_of[i] != SIZE_MAX) {
                sources.back().workers = workers.get();
                sources.back().job = job_of[i];
            }
            zip_error_init(&sources.back().error);
            zip_error_t error;
            zip_error_init(&error);
            zip_source_t* source = zip_source_function_create(&entry_source::callback, &sources.back(), &error);
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
        if (zip_file_set_external_attributes(archive.get(), entry_index, 0, ZIP_OPSYS_UNIX, attributes) != 0 ||
            zip_file_set_mtime(archive.get(), entry_index, zip_time(entry.mtime), 0) != 0 ||
            zip_set_file_compression(archive.get(), entry_index, deflate[i] ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                     deflate[i] ? static_cast<zip_uint32_t>(settings.compression_level) : 0) != 0)
            fail(settings.field,
                 "cannot set the attributes of " + display(entry.archive_name) + ": " + zip_strerror(archive.get()));
    }
    if (settings.progress) settings.progress(0, tree.content_bytes);
    if (workers) workers->start(settings.threads);
    const bool closed = zip_close(archive.get()) == 0;
    if (workers) {
        workers->wake();
        workers->stop();
    }
    if (!closed) {
        if (auto failure = state.first_failure()) std::rethrow_exception(failure);
        fail(settings.field, std::string("cannot write the zip: ") + zip_strerror(archive.get()));
    }
    archive.release();  // zip_close freed it
    if (auto failure = state.first_failure()) std::rethrow_exception(failure);
}

}  // namespace raycl::packaging
