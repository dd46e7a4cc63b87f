// The persistent hash cache and one-pass packaging: a tree packaged again is checked with
// stat(2), and never at the cost of a wrong URI: the racily-clean rule, files changed within the
// same second, replaced by others of the same size, caches of other trees, corrupt caches; and
// the archive written while hashing is the one building would write.
#include "runtime_env/hash_cache.hpp"
#include "runtime_env/packaging.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace raycl;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;

struct scratch {
    fs::path root;
    scratch() {
        std::string pattern = (fs::temp_directory_path() / "raycl-hash-cache-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        root = pattern;
        fs::create_directories(root / "tmp");
    }
    ~scratch() { fs::remove_all(root); }

    fs::path write(const std::string& relative, std::string_view content) const {
        const fs::path path = root / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
        return path;
    }
    std::string read(const fs::path& path) const {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    fs::path cache() const { return root / "cache"; }
};

// Sets a file's mtime (its ctime becomes now: only the kernel sets ctime).
void set_mtime(const fs::path& path, std::int64_t mtime_ns) {
    const timespec times[2] = {{0, UTIME_OMIT}, {mtime_ns / second_ns, mtime_ns % second_ns}};
    BOOST_REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

std::int64_t mtime_of(const fs::path& path) {
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * second_ns + st.st_mtim.tv_nsec;
}

std::int64_t ctime_of(const fs::path& path) {
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<std::int64_t>(st.st_ctim.tv_sec) * second_ns + st.st_ctim.tv_nsec;
}

// Returns once the file system's clock has passed `path`'s ctime: a change made now gives it
// another ctime. (The tests below move the cache's clock 10 s ahead, which switches off the
// racily-clean rule that protects a change within the same tick in real use.)
void wait_for_a_newer_ctime(const scratch& s, const fs::path& path) {
    const std::int64_t before = ctime_of(path);
    const fs::path probe = s.root / "clock-probe";
    for (int i = 0; i < 100000; ++i) {
        s.write("clock-probe", "x");
        if (ctime_of(probe) > before) return;
    }
    BOOST_FAIL("the file system's clock did not move");
}

// A planning environment with the hash cache under the scratch directory and a clock `ahead`
// of the wall clock: entries recorded with it trust files written just now.
packaging::packaging_environment environment(const scratch& s, std::int64_t ahead_ns, bool cache = true) {
    packaging::packaging_environment env = packaging::packaging_environment::system();
    env.files.cwd = s.root.string();
    env.variables.get_variable = [](const char*) -> std::optional<std::string> { return std::nullopt; };
    if (cache)
        env.cache_directory = s.cache();
    else
        env.cache_directory.reset();
    env.clock = [ahead_ns] { return packaging::wall_clock_ns() + ahead_ns; };
    return env;
}

// A plan of `dir` as working_dir, counting the hashing reports: one report means no file was
// read (every digest came from the cache).
struct plan_result {
    std::string uri;
    int hashing_reports = 0;
};

plan_result plan(const scratch& s, const std::string& dir, std::int64_t ahead_ns, bool cache = true) {
    plan_result out;
    packaging_options options;
    options.on_progress = [&](const packaging_progress& p) {
        if (p.phase == packaging_phase::hashing) ++out.hashing_reports;
    };
    const auto prepared = packaging::prepare_runtime_env(json::object{{"working_dir", (s.root / dir).string()}},
                                                         environment(s, ahead_ns, cache), options);
    out.uri = prepared.packages.at(0).uri;
    return out;
}

std::string uncached_uri(const scratch& s, const std::string& dir) {
    return plan(s, dir, 0, false).uri;
}

void write_tree(const scratch& s, const std::string& dir) {
    s.write(dir + "/main.py", "print('a')\n");
    s.write(dir + "/lib/util.py", "X = 1\n");
    s.write(dir + "/data/values.txt", std::string(300'000, 'v'));  // more than one read
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hash_cache_tests)

BOOST_AUTO_TEST_CASE(an_entry_is_trusted_only_when_its_file_was_safely_older_than_the_record) {
    scratch s;
    const packaging::file_identity id{10, 100 * second_ns, 100 * second_ns, 7, 1};
    const packaging::file_digest digest{{1, 2, 3, 4, 5, 6, 7, 8}, true};
    {
        packaging::hash_cache cache(s.cache(), "/tree");
        cache.record("a.py", id, digest, 100 * second_ns + second_ns / 2);  // recorded 0.5 s after the write
        cache.record("b.py", id, digest, 103 * second_ns);                  // 3 s after
        cache.save();
    }
    packaging::hash_cache cache(s.cache(), "/tree");
    BOOST_TEST(!cache.find("a.py", id).has_value());  // racily clean: it may have changed within the tick
    const auto hit = cache.find("b.py", id);
    BOOST_REQUIRE(hit.has_value());
    BOOST_TEST((hit->digest == digest.digest));
    BOOST_TEST(hit->compressible);
    // Any other stat data misses.
    for (auto changed : {packaging::file_identity{11, id.mtime_ns, id.ctime_ns, 7, 1},
                         packaging::file_identity{10, id.mtime_ns + 1, id.ctime_ns, 7, 1},
                         packaging::file_identity{10, id.mtime_ns, id.ctime_ns + 1, 7, 1},
                         packaging::file_identity{10, id.mtime_ns, id.ctime_ns, 8, 1},
                         packaging::file_identity{10, id.mtime_ns, id.ctime_ns, 7, 2}})
        BOOST_TEST(!cache.find("b.py", changed).has_value());
    // A ctime within the margin is racy too, whatever the mtime.
    packaging::hash_cache again(s.cache(), "/tree");
    again.record("c.py", {10, 100 * second_ns, 102 * second_ns, 7, 1}, digest, 103 * second_ns);
    BOOST_TEST(!again.find("c.py", {10, 100 * second_ns, 102 * second_ns, 7, 1}).has_value());
}

BOOST_AUTO_TEST_CASE(an_unchanged_tree_is_checked_without_reading_a_file) {
    scratch s;
    write_tree(s, "wd");
    const auto first = plan(s, "wd", 10 * second_ns);
    BOOST_TEST(first.hashing_reports > 1);  // the files were read
    const auto second = plan(s, "wd", 10 * second_ns);
    BOOST_TEST(second.hashing_reports == 1);  // one report, nothing read
    BOOST_TEST(second.uri == first.uri);
    BOOST_TEST(second.uri == uncached_uri(s, "wd"));
}

BOOST_AUTO_TEST_CASE(files_younger_than_the_margin_are_read_again) {
    scratch s;
    write_tree(s, "wd");
    plan(s, "wd", 0);  // recorded now: the files were written less than 2 s before
    BOOST_TEST(plan(s, "wd", 0).hashing_reports > 1);
}

BOOST_AUTO_TEST_CASE(a_file_changed_within_the_same_second_gets_the_new_uri) {
    scratch s;
    write_tree(s, "wd");
    const fs::path file = s.root / "wd" / "main.py";
    const auto before = plan(s, "wd", 0);  // the real clock: as a user editing right after a submit
    const std::int64_t mtime = mtime_of(file);
    s.write("wd/main.py", "print('b')\n");  // same size
    set_mtime(file, mtime);                 // and the same mtime, as on a coarse-grained file system
    const auto after = plan(s, "wd", 0);
    BOOST_TEST(after.uri != before.uri);
    BOOST_TEST(after.uri == uncached_uri(s, "wd"));
}

BOOST_AUTO_TEST_CASE(a_file_replaced_by_another_of_the_same_size_gets_the_new_uri) {
    scratch s;
    write_tree(s, "wd");
    const fs::path file = s.root / "wd" / "lib" / "util.py";
    const auto before = plan(s, "wd", 10 * second_ns);  // trusted entries
    const std::int64_t mtime = mtime_of(file);
    s.write("replacement.py", "X = 2\n");  // same size
    set_mtime(s.root / "replacement.py", mtime);
    fs::rename(s.root / "replacement.py", file);  // another inode, same size and mtime
    const auto after = plan(s, "wd", 10 * second_ns);
    BOOST_TEST(after.hashing_reports > 1);
    BOOST_TEST(after.uri != before.uri);
    BOOST_TEST(after.uri == uncached_uri(s, "wd"));
    // Rewritten in place (same inode), same size, the mtime put back: the ctime tells.
    wait_for_a_newer_ctime(s, file);
    s.write("wd/lib/util.py", "X = 3\n");
    set_mtime(file, mtime);
    const auto rewritten = plan(s, "wd", 10 * second_ns);
    BOOST_TEST(rewritten.uri == uncached_uri(s, "wd"));
    BOOST_TEST(rewritten.uri != after.uri);
}

BOOST_AUTO_TEST_CASE(a_cache_from_another_tree_is_not_used) {
    scratch s;
    write_tree(s, "one");
    write_tree(s, "two");
    s.write("two/main.py", "print('2')\n");  // same names and sizes, other content
    const auto one = plan(s, "one", 10 * second_ns);
    // Tree one's cache file in the place of tree two's: it names another root and is ignored.
    const fs::path hashes = s.cache() / "hashes";
    const fs::path one_file = fs::directory_iterator(hashes)->path();
    plan(s, "two", 10 * second_ns);
    for (const auto& entry : fs::directory_iterator(hashes))
        if (entry.path() != one_file) fs::copy_file(one_file, entry.path(), fs::copy_options::overwrite_existing);
    const auto two = plan(s, "two", 10 * second_ns);
    BOOST_TEST(two.uri == uncached_uri(s, "two"));
    BOOST_TEST(two.uri != one.uri);
    // Another tree at the same path (removed and made again, with the old mtimes): new inodes.
    const std::int64_t mtime = mtime_of(s.root / "one" / "main.py");
    wait_for_a_newer_ctime(s, s.root / "one" / "main.py");
    fs::remove_all(s.root / "one");
    write_tree(s, "one");
    s.write("one/main.py", "print('c')\n");
    set_mtime(s.root / "one" / "main.py", mtime);
    const auto remade = plan(s, "one", 10 * second_ns);
    BOOST_TEST(remade.uri == uncached_uri(s, "one"));
    BOOST_TEST(remade.uri != one.uri);
}

BOOST_AUTO_TEST_CASE(a_corrupt_or_truncated_cache_is_ignored) {
    scratch s;
    write_tree(s, "wd");
    const std::string expected = uncached_uri(s, "wd");
    plan(s, "wd", 10 * second_ns);
    const fs::path file = fs::directory_iterator(s.cache() / "hashes")->path();
    const std::string good = s.read(file);
    for (const std::string& bad : {good.substr(0, good.size() - 3), std::string("garbage"), std::string(), good + "x",
                                   std::string(good).replace(8, 1, "\xff")}) {
        std::ofstream(file, std::ios::binary | std::ios::trunc) << bad;
        BOOST_TEST(plan(s, "wd", 10 * second_ns).uri == expected);
    }
}

BOOST_AUTO_TEST_CASE(the_archive_written_while_hashing_is_the_one_building_writes) {
    scratch s;
    write_tree(s, "wd");
    std::mt19937 random(3);
    std::string noise(2'000'000, '\0');
    for (auto& c : noise) c = static_cast<char>(random());
    s.write("wd/blob.bin", noise);  // stored; the text files are deflated
    for (int i = 0; i < 40; ++i) s.write("wd/mods/m" + std::to_string(i) + ".py", std::string(40'000, 'a' + i % 26));
    const json::object env{{"working_dir", (s.root / "wd").string()}};
    const auto options = packaging_options().with_compression(package_compression::always);

    const auto planned = packaging::plan_packages(env, environment(s, 0, false), options, s.root / "tmp");
    BOOST_REQUIRE(planned.archives.at(0).has_value());
    const auto prepared = packaging::prepare_runtime_env(env, environment(s, 0, false), options);
    BOOST_TEST(planned.prepared.packages.at(0).uri == prepared.packages.at(0).uri);
    BOOST_TEST(planned.prepared.runtime_env.at("working_dir") == prepared.runtime_env.at("working_dir"));
    const auto built = packaging::build_package(prepared.packages.at(0), options, s.root / "tmp");
    BOOST_TEST(s.read(planned.archives[0]->path()) == s.read(built.path()));
    BOOST_TEST(planned.archives[0]->size() < 2'400'000u);  // the text was deflated

    // Once the cache knows every file, planning writes nothing: the package is likely there.
    plan(s, "wd", 10 * second_ns);
    const auto again = packaging::plan_packages(env, environment(s, 10 * second_ns), options, s.root / "tmp");
    BOOST_TEST(!again.archives.at(0).has_value());
    BOOST_TEST(again.prepared.packages.at(0).uri == prepared.packages.at(0).uri);
}

BOOST_AUTO_TEST_CASE(automatic_compression_stores_small_packages_and_deflates_large_or_oversized_ones) {
    scratch s;
    s.write("small/a.py", std::string(10'000, 'a'));
    s.write("text/a.txt", std::string(2'000'000, 'a'));
    const auto tree_of = [&](const std::string& dir) {
        const auto prepared = packaging::prepare_runtime_env(json::object{{"working_dir", (s.root / dir).string()}},
                                                             environment(s, 0, false), packaging_options());
        return prepared.packages.at(0);
    };
    const auto small = tree_of("small");
    const auto text = tree_of("text");
    const auto level_of = [&](const package_info& info, package_compression policy, std::uint64_t limit) {
        return packaging::build_package(info, packaging_options().with_compression(policy).with_size_limit(limit),
                                        s.root / "tmp")
            .size();
    };
    BOOST_TEST(level_of(small, package_compression::automatic, 100 << 20) > 10'000u);  // stored
    BOOST_TEST(level_of(small, package_compression::automatic, 5'000) < 5'000u);       // deflated to fit
    BOOST_TEST(level_of(text, package_compression::automatic, 100 << 20) < 100'000u);  // deflated
    BOOST_TEST(level_of(text, package_compression::never, 100 << 20) > 2'000'000u);
}

BOOST_AUTO_TEST_SUITE_END()
