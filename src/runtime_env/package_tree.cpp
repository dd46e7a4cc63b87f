#include "runtime_env/package_tree.hpp"

#include "runtime_env/file_io.hpp"
#include "runtime_env/parallel.hpp"
#include "runtime_env/sha1.hpp"

#include "core/ignore_rules.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <utility>

namespace raycl::packaging {
namespace {

// _hash_directory's seed: eight ASCII '0' bytes, not zero bytes.
constexpr core::package_hash hash_seed{'0', '0', '0', '0', '0', '0', '0', '0'};

// _xor_bytes: zip() stops at the shorter operand, so only the first 8 bytes of a SHA-1 count.
void xor_into(core::package_hash& hash, const core::package_hash& digest) {
    for (std::size_t i = 0; i < hash.size(); ++i) hash[i] ^= digest[i];
}

core::package_hash prefix_of(const std::array<std::uint8_t, 20>& digest) {
    core::package_hash out{};
    std::copy_n(digest.begin(), out.size(), out.begin());
    return out;
}

// SHA-1(name): the contribution of a directory (or a node that is not a regular file).
core::package_hash name_digest(sha1& hasher, std::string_view name) {
    hasher.reset();
    hasher.update(name);
    return prefix_of(hasher.finish());
}

// Shannon entropy of the byte histogram of a sample, in bits per byte: random data and
// compressed formats (gzip, PNG, JPEG, wheels...) come close to 8, text and code stay near 4-5.
double byte_entropy(const char* data, std::size_t size) {
    // Four histograms filled in turn, then added: consecutive equal bytes (runs in text) no
    // longer wait on each other's increment of the same counter.
    std::array<std::array<std::uint32_t, 256>, 4> partial{};
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 4 <= size; i += 4) {
        ++partial[0][bytes[i]];
        ++partial[1][bytes[i + 1]];
        ++partial[2][bytes[i + 2]];
        ++partial[3][bytes[i + 3]];
    }
    for (; i < size; ++i) ++partial[0][bytes[i]];
    std::array<std::size_t, 256> counts{};
    for (std::size_t b = 0; b < counts.size(); ++b)
        counts[b] = std::size_t{partial[0][b]} + partial[1][b] + partial[2][b] + partial[3][b];
    double bits = 0;
    for (std::size_t count : counts) {
        if (count == 0) continue;
        const double p = static_cast<double>(count) / static_cast<double>(size);
        bits -= p * std::log2(p);
    }
    return bits;
}

// Deflating data above this entropy saves next to nothing and costs most of the packaging time.
constexpr double incompressible_entropy = 7.5;

file_identity identity_of(const file_status& status) {
    return {status.size, status.mtime_ns, status.ctime_ns, status.inode, status.device};
}

// Reads a file once: fills `file.digest` with SHA-1(name || content), the contribution of one
// file to the hash, and `file.compressible` from its first bytes.
void hash_entry(sha1& hasher, package_entry& file, std::string_view field,
                const std::function<void(std::uint64_t)>& on_bytes) {
    hasher.reset();
    hasher.update(file.name);
    bool first = true;
    file.compressible = false;
    read_file_chunks(file.source, field, [&](const char* data, std::size_t size) {
        if (first) file.compressible = looks_compressible(data, size);
        first = false;
        hasher.update(data, size);
        if (on_bytes) on_bytes(size);
    });
    file.digest = prefix_of(hasher.finish());
    file.digest_known = true;
}

// An ignore file's rules and the directory (root-relative, "" for the root) they are relative to.
struct scoped_rules {
    std::string base;
    core::ignore_rules rules;
};

class directory_walker {
public:
    explicit directory_walker(const directory_scan& options) : options_(options) {
        rules_.push_back({"", core::ignore_rules::from_patterns(options.excludes, "runtime_env.excludes")});
    }

    package_tree run(const std::filesystem::path& root) {
        tree_.names_hash = hash_seed;
        visit(root, ".");
        hash_files();
        if (all_digests_known(tree_)) finish_hash(tree_);
        return std::move(tree_);
    }

private:
    // _dir_travel: read this path's ignore files, skip it if anything matches, else handle it
    // and walk its children.
    void visit(const std::filesystem::path& path, const std::string& name) {
        const file_status status = stat_following_links(path, options_.field, display(name));
        const std::size_t pushed_before = rules_.size();
        if (status.kind == file_kind::directory) {
            if (options_.include_gitignore) push_ignore_file(path / ".gitignore", name);
            push_ignore_file(path / ".rayignore", name);
        }
        if (!excluded(name)) handle(path, name, status);
        rules_.resize(pushed_before);
    }

    void handle(const std::filesystem::path& path, const std::string& name, const file_status& status) {
        // Ray hashes str(relative path).encode(): a name that is not UTF-8 makes it fail.
        if (!core::is_valid_utf8(name))
            reject(options_.field,
                   "the name " + display(name) + " is not valid UTF-8, which Ray cannot hash; rename it or exclude it");
        if (status.kind == file_kind::regular) {
            tree_.entries.push_back(entry(path, name, status, false));
            tree_.content_bytes += status.size;
            ++tree_.file_count;
            return;
        }
        xor_into(tree_.names_hash, name_digest(sha1_, name));  // directories and other nodes: the name only
        if (status.kind != file_kind::directory) return;

        const auto identity = std::make_pair(status.device, status.inode);
        if (std::find(ancestors_.begin(), ancestors_.end(), identity) != ancestors_.end())
            reject(options_.field, display(name) +
                                       " is a symbolic link loop (it leads back to a directory above it); "
                                       "remove the link or exclude it");
        const std::vector<std::string> children = list_directory(path, options_.field, display(name));
        // _zip_files writes a directory only when it is empty on disk.
        if (children.empty()) tree_.entries.push_back(entry(path, name, status, true));
        ancestors_.push_back(identity);
        for (const std::string& child : children) visit(path / child, name == "." ? child : name + "/" + child);
        ancestors_.pop_back();
    }

    package_entry entry(const std::filesystem::path& path, const std::string& name, const file_status& status,
                        bool directory) const {
        package_entry out;
        out.name = name;
        if (directory) {
            out.archive_name = name == "." ? (options_.archive_prefix.empty() ? "./" : options_.archive_prefix)
                                           : options_.archive_prefix + name + "/";
        } else {
            out.archive_name = options_.archive_prefix + name;
        }
        out.source = path;
        out.is_directory = directory;
        out.size = directory ? 0 : status.size;
        out.mode = status.mode;
        out.mtime = status.mtime;
        if (!directory) out.identity = identity_of(status);
        return out;
    }

    // Every matcher tests the path relative to the directory its patterns came from.
    bool excluded(const std::string& name) const {
        return std::any_of(rules_.begin(), rules_.end(), [&](const scoped_rules& scoped) {
            if (scoped.rules.empty()) return false;
            if (scoped.base.empty()) return scoped.rules.matches(name);
            if (name == scoped.base) return scoped.rules.matches(".");
            return scoped.rules.matches(std::string_view(name).substr(scoped.base.size() + 1));
        });
    }

    void push_ignore_file(const std::filesystem::path& file, const std::string& directory_name) {
        const std::string shown =
            directory_name == "." ? file.filename().string() : directory_name + "/" + file.filename().string();
        // Path.is_file(): a regular file once links are followed; anything else is ignored.
        if (!is_regular_file_following_links(file)) return;
        const std::string text = read_small_file(file, options_.field, display(shown));
        rules_.push_back({directory_name == "." ? "" : directory_name,
                          core::ignore_rules::from_file_text(text, options_.field + ": " + display(shown))});
    }

    // Second pass: the contents, with progress over the bytes of all included files. Files the
    // cache knows are not read; with defer_unknown, neither are the others.
    void hash_files() {
        std::vector<std::size_t> to_read;
        std::uint64_t done = 0;
        const std::uint64_t total = tree_.content_bytes;
        for (std::size_t i = 0; i < tree_.entries.size(); ++i) {
            package_entry& file = tree_.entries[i];
            if (file.is_directory) continue;  // hashed by name while walking
            if (options_.cache) {
                if (const auto cached = options_.cache->find(file.name, file.identity)) {
                    file.digest = cached->digest;
                    file.compressible = cached->compressible;
                    file.digest_known = true;
                    done += file.size;
                    continue;
                }
            }
            if (!options_.defer_unknown) to_read.push_back(i);
        }
        if (options_.progress) options_.progress(done, total);
        if (to_read.empty()) return;

        const std::int64_t recorded_ns = options_.clock();  // before any read: see hash_cache
        std::uint64_t bytes_to_read = 0;
        for (std::size_t i : to_read) bytes_to_read += tree_.entries[i].size;
        // Small trees are not worth a thread.
        const std::size_t threads = bytes_to_read >= (std::uint64_t{1} << 20) ? options_.threads : 1;
        std::mutex progress_mutex;
        parallel_for(to_read.size(), threads, [&](std::size_t k) {
            thread_local sha1 hasher;
            hash_entry(hasher, tree_.entries[to_read[k]], options_.field, [&](std::uint64_t bytes) {
                std::lock_guard lock(progress_mutex);
                done += bytes;
                if (options_.progress) options_.progress(done, std::max(done, total));
            });
        });
        if (options_.cache) {
            for (std::size_t i : to_read) {
                const package_entry& file = tree_.entries[i];
                options_.cache->record(file.name, file.identity, {file.digest, file.compressible}, recorded_ns);
            }
        }
    }

    const directory_scan& options_;
    std::vector<scoped_rules> rules_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ancestors_;  // (st_dev, st_ino) of the path
    package_tree tree_;
    sha1 sha1_;
};

}  // namespace

bool all_digests_known(const package_tree& tree) noexcept {
    return std::all_of(tree.entries.begin(), tree.entries.end(),
                       [](const package_entry& entry) { return entry.is_directory || entry.digest_known; });
}

void finish_hash(package_tree& tree) noexcept {
    tree.hash = tree.names_hash;
    for (const package_entry& entry : tree.entries)
        if (!entry.is_directory) xor_into(tree.hash, entry.digest);
}

bool looks_compressible(const char* data, std::size_t size) noexcept {
    return size > 0 && byte_entropy(data, std::min(size, compressibility_sample)) <= incompressible_entropy;
}

package_tree scan_directory(const std::filesystem::path& root, const directory_scan& options) {
    return directory_walker(options).run(root);
}

package_tree scan_module_file(const std::filesystem::path& file, std::string_view field,
                              const byte_progress& progress) {
    const std::string name = file.filename().string();
    const file_status status = stat_following_links(file, field, display(name));
    if (status.kind != file_kind::regular) reject(field, display(file.string()) + " is not a regular file");
    if (!core::is_valid_utf8(name))
        reject(field, "the name " + display(name) + " is not valid UTF-8, which Ray cannot hash; rename it");
    package_tree tree;
    tree.names_hash = hash_seed;
    package_entry entry;
    entry.name = name;
    entry.archive_name = name;
    entry.source = file;
    entry.size = status.size;
    entry.mode = status.mode;
    entry.mtime = status.mtime;
    sha1 hasher;
    std::uint64_t done = 0;
    hash_entry(hasher, entry, field, [&](std::uint64_t bytes) {
        done += bytes;
        if (progress) progress(done, std::max(done, status.size));
    });
    entry.identity = identity_of(status);
    tree.content_bytes = status.size;
    tree.file_count = 1;
    tree.entries.push_back(std::move(entry));
    finish_hash(tree);
    return tree;
}

std::string file_sha1_hex(const std::filesystem::path& file, std::string_view field, const byte_progress& progress) {
    const file_status status = stat_following_links(file, field, display(file.string()));
    if (status.kind != file_kind::regular) reject(field, display(file.string()) + " is not a regular file");
    sha1 hasher;
    std::uint64_t done = 0;
    read_file_chunks(file, field, [&](const char* data, std::size_t size) {
        hasher.update(data, size);
        done += size;
        if (progress) progress(done, std::max(done, status.size));
    });
    const auto digest = hasher.finish();
    return core::lower_hex(digest.data(), digest.size());
}

}  // namespace raycl::packaging
