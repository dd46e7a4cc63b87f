// The file-system layer of runtime-env packaging: Ray's hash (the reference's test vectors,
// verified against ray==2.60.0), the traversal rules, the zip, temporary files, size limits.
// Each test builds its trees in a fresh directory under the system's temporary directory.
#include "runtime_env/package_tree.hpp"
#include "runtime_env/packaging.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <zip.h>

#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

using namespace raycl;
using raycl::test::contains;
using raycl::test::expect_client_error;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// A scratch directory, removed at the end of the test.
struct scratch {
    fs::path root;
    scratch() {
        std::string pattern = (fs::temp_directory_path() / "raycl-packaging-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        root = pattern;
    }
    ~scratch() { fs::remove_all(root); }

    fs::path write(const std::string& relative, std::string_view content) const {
        const fs::path path = root / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
        return path;
    }
    fs::path mkdir(const std::string& relative) const {
        fs::create_directories(root / relative);
        return root / relative;
    }
    fs::path link(const std::string& relative, const std::string& target) const {
        fs::create_symlink(target, root / relative);
        return root / relative;
    }
};

// The reference's tree (docs: ray-2.60-beyond-jobs.md, 1.3).
fs::path reference_tree(const scratch& s) {
    s.write("wd/main.py", "print(\"hi\")\n");
    s.write("wd/sub/a.txt", "abc");
    s.write("wd/sub/deeper/empty.bin", "");
    s.mkdir("wd/emptydir");
    s.write("wd/.gitignore", "*.log\n");
    s.write("wd/debug.log", "noise");
    s.write("wd/.git/HEAD", "x");
    s.write("wd/__pycache__/m.pyc", "c");
    return s.root / "wd";
}

packaging::packaging_environment environment(const scratch& s, std::map<std::string, std::string> variables = {}) {
    packaging::packaging_environment env = packaging::packaging_environment::system();
    env.files.cwd = s.root.string();
    env.cache_directory.reset();  // the hash cache has tests of its own (hash_cache_tests.cpp)
    env.variables.get_variable = [variables](const char* name) -> std::optional<std::string> {
        auto it = variables.find(name);
        if (it == variables.end()) return std::nullopt;
        return it->second;
    };
    return env;
}

prepared_runtime_env prepare(const scratch& s, std::string_view runtime_env,
                             std::map<std::string, std::string> variables = {}, const packaging_options& options = {}) {
    return packaging::prepare_runtime_env(json::parse(runtime_env).as_object(), environment(s, std::move(variables)),
                                          options);
}

std::string working_dir_uri(const scratch& s, std::string_view runtime_env,
                            std::map<std::string, std::string> variables = {}) {
    return std::string(prepare(s, runtime_env, std::move(variables)).runtime_env.at("working_dir").as_string());
}

struct zip_listing_entry {
    std::uint32_t external_attributes = 0;
    std::uint16_t method = 0;
    std::uint64_t size = 0;
};

// What a zip holds, read back with libzip.
std::map<std::string, zip_listing_entry> list_zip(const fs::path& path) {
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
    BOOST_REQUIRE(archive);
    std::map<std::string, zip_listing_entry> out;
    for (zip_int64_t i = 0; i < zip_get_num_entries(archive, 0); ++i) {
        zip_stat_t st;
        zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st);
        zip_uint8_t opsys = 0;
        zip_listing_entry entry;
        zip_file_get_external_attributes(archive, static_cast<zip_uint64_t>(i), 0, &opsys, &entry.external_attributes);
        entry.method = st.comp_method;
        entry.size = st.size;
        out[st.name] = entry;
    }
    zip_close(archive);
    return out;
}

bool is_empty_directory(const fs::path& path) {
    return fs::is_directory(path) && fs::is_empty(path);
}

std::uint32_t mode_of(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return static_cast<std::uint32_t>(st.st_mode);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(packaging_tests)

BOOST_AUTO_TEST_CASE(reference_test_vectors) {
    scratch s;
    const fs::path wd = reference_tree(s);
    // What the Job SDK does: default excludes and .gitignore honoured.
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "wd"})") == "gcs://_ray_pkg_f8d5762438b1d103.zip");
    // No excludes at all, .gitignore honoured.
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "wd"})", {{"RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES", ""}}) ==
               "gcs://_ray_pkg_5231bfd83d355992.zip");
    // Default excludes, .gitignore ignored.
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "wd"})", {{"RAY_RUNTIME_ENV_IGNORE_GITIGNORE", "1"}}) ==
               "gcs://_ray_pkg_cf1d276cafd795e5.zip");
    // Only exactly "1" turns .gitignore off, as os.environ.get(...) != "1" in the SDK.
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "wd"})", {{"RAY_RUNTIME_ENV_IGNORE_GITIGNORE", "true"}}) ==
               "gcs://_ray_pkg_f8d5762438b1d103.zip");
    // get_uri_for_file on main.py.
    const prepared_runtime_env module = prepare(s, R"({"py_modules": ["wd/main.py"]})");
    BOOST_TEST(module.runtime_env.at("py_modules").as_array().at(0).as_string() ==
               "gcs://_ray_pkg_ab1d3dbac918aa2f.zip");
    // Archives: SHA-1 of the bytes, .tgz named .tar.gz.
    s.write("x.tar.gz", "data");
    s.write("x.tgz", "data");
    for (const char* archive : {R"({"working_dir": "x.tar.gz"})", R"({"working_dir": "x.tgz"})"}) {
        BOOST_TEST(working_dir_uri(s, archive) == "gcs://_ray_pkg_a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd.tar.gz");
    }
    // The root's name does not enter the hash.
    fs::rename(wd, s.root / "renamed");
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "renamed"})") == "gcs://_ray_pkg_f8d5762438b1d103.zip");
}

BOOST_AUTO_TEST_CASE(empty_and_fully_excluded_directories) {
    scratch s;
    s.mkdir("empty");
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "empty"})") == "gcs://_ray_pkg_0a62fe483960e4e9.zip");
    s.write("full/a.txt", "a");
    // "*" matches the root itself ("."): nothing is hashed, the seed is the hash.
    BOOST_TEST(working_dir_uri(s, R"({"working_dir": "full", "excludes": ["*"]})") ==
               "gcs://_ray_pkg_3030303030303030.zip");
}

BOOST_AUTO_TEST_CASE(the_zip_holds_what_rays_zip_holds) {
    scratch s;
    const fs::path wd = reference_tree(s);
    ::chmod((wd / "main.py").c_str(), 0755);
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd"})");
    BOOST_REQUIRE_EQUAL(env.packages.size(), 1u);
    const package_info& info = env.packages[0];
    BOOST_TEST(info.field == "working_dir");
    BOOST_TEST(info.source == "wd");
    BOOST_TEST((info.kind == package_source_kind::directory));
    BOOST_TEST(to_string(info.kind) == "directory");
    BOOST_TEST(to_string(info.state) == "not_checked");
    BOOST_TEST(info.file_count == 4u);  // main.py, sub/a.txt, sub/deeper/empty.bin, .gitignore
    BOOST_TEST(info.size == 12u + 3u + 0u + 6u);
    BOOST_TEST((info.state == package_state::not_checked));

    const packaging::package_file zip = packaging::build_package(info, {}, s.root);
    BOOST_TEST(zip.is_temporary());
    BOOST_TEST(zip.size() == fs::file_size(zip.path()));
    BOOST_TEST(zip.path().filename() == "_ray_pkg_f8d5762438b1d103.zip");
    const auto listing = list_zip(zip.path());
    const std::set<std::string> names = [&] {
        std::set<std::string> out;
        for (const auto& [name, entry] : listing) out.insert(name);
        return out;
    }();
    BOOST_TEST(
        (names == std::set<std::string>{".gitignore", "emptydir/", "main.py", "sub/a.txt", "sub/deeper/empty.bin"}));
    BOOST_TEST(listing.at("main.py").external_attributes == (mode_of(wd / "main.py") & 0xFFFFu) << 16);
    BOOST_TEST((listing.at("main.py").external_attributes >> 16) == 0100755u);
    BOOST_TEST(listing.at("emptydir/").external_attributes == (((mode_of(wd / "emptydir") & 0xFFFFu) << 16) | 0x10u));
    BOOST_TEST(listing.at("emptydir/").method == ZIP_CM_STORE);
    BOOST_TEST(listing.at("main.py").size == 12u);
}

BOOST_AUTO_TEST_CASE(py_modules_directories_sit_under_their_own_name_without_default_excludes) {
    scratch s;
    s.write("mods/mypkg/__init__.py", "x = 1\n");
    s.write("mods/mypkg/.git/HEAD", "x");
    s.mkdir("mods/mypkg/data");
    const prepared_runtime_env env = prepare(s, R"({"py_modules": ["mods/mypkg/"]})");
    const packaging::package_file zip = packaging::build_package(
        env.packages.at(0), packaging_options().with_compression(package_compression::always), s.root);
    std::set<std::string> names;
    for (const auto& [name, entry] : list_zip(zip.path())) names.insert(name);
    BOOST_TEST((names == std::set<std::string>{"mypkg/.git/HEAD", "mypkg/__init__.py", "mypkg/data/"}));
}

BOOST_AUTO_TEST_CASE(a_single_module_is_the_only_entry_and_a_wheel_is_sent_as_it_is) {
    scratch s;
    s.write("tools/helper.py", "def f(): pass\n");
    s.write("dist/pkg-1.0-py3-none-any.whl", "wheel bytes");
    const prepared_runtime_env env =
        prepare(s, R"({"py_modules": ["tools/helper.py", "dist/pkg-1.0-py3-none-any.whl"]})");
    BOOST_REQUIRE_EQUAL(env.packages.size(), 2u);
    BOOST_TEST((env.packages[0].kind == package_source_kind::module_file));
    BOOST_TEST(env.packages[0].field == "py_modules[0]");
    const packaging::package_file module = packaging::build_package(env.packages[0], {}, s.root);
    BOOST_TEST(list_zip(module.path()).count("helper.py") == 1u);
    BOOST_TEST(list_zip(module.path()).size() == 1u);

    BOOST_TEST((env.packages[1].kind == package_source_kind::archive));
    BOOST_TEST(env.runtime_env.at("py_modules").as_array().at(1).as_string() == "gcs://pkg-1.0-py3-none-any.whl");
    const packaging::package_file wheel = packaging::build_package(env.packages[1], {}, s.root);
    BOOST_TEST(!wheel.is_temporary());
    BOOST_TEST(wheel.path() == (s.root / "dist/pkg-1.0-py3-none-any.whl").string());
    BOOST_TEST(wheel.size() == 11u);
}

BOOST_AUTO_TEST_CASE(nested_ignore_files_are_relative_to_their_directory) {
    scratch s;
    s.write("wd/sub/.gitignore", "/inner\n");
    s.write("wd/sub/inner/x.txt", "x");
    s.write("wd/inner/y.txt", "y");
    s.write("wd/sub/.rayignore", "*.tmp\n");
    s.write("wd/sub/a.tmp", "t");
    s.write("wd/b.tmp", "t");
    s.write("wd/deep/.rayignore", "*\n");  // matches the directory itself as "."
    s.write("wd/deep/z.txt", "z");
    const prepared_runtime_env env =
        prepare(s, R"({"working_dir": "wd"})", {{"RAY_RUNTIME_ENV_IGNORE_GITIGNORE", "1"}});
    const prepared_runtime_env with_git = prepare(s, R"({"working_dir": "wd"})");
    std::set<std::string> names;
    for (const auto& [name, e] : list_zip(packaging::build_package(with_git.packages.at(0), {}, s.root).path()))
        names.insert(name);
    BOOST_TEST((names == std::set<std::string>{"b.tmp", "inner/y.txt", "sub/.gitignore", "sub/.rayignore"}));
    // .rayignore holds with RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1; .gitignore does not.
    names.clear();
    for (const auto& [name, e] : list_zip(packaging::build_package(env.packages.at(0), {}, s.root).path()))
        names.insert(name);
    BOOST_TEST((names ==
                std::set<std::string>{"b.tmp", "inner/y.txt", "sub/.gitignore", "sub/.rayignore", "sub/inner/x.txt"}));
}

BOOST_AUTO_TEST_CASE(user_excludes_are_relative_to_the_root_and_can_negate) {
    scratch s;
    s.write("wd/a.txt", "a");
    s.write("wd/b.txt", "b");
    s.write("wd/sub/a.txt", "a");
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd", "excludes": ["*.txt", "!/a.txt"]})");
    std::set<std::string> names;
    for (const auto& [name, e] : list_zip(packaging::build_package(env.packages.at(0), {}, s.root).path()))
        names.insert(name);
    BOOST_TEST((names == std::set<std::string>{"a.txt"}));
    // The excludes stay in the runtime_env sent to the server.
    BOOST_TEST(env.runtime_env.at("excludes").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(symbolic_links_are_followed_and_loops_are_a_400) {
    scratch s;
    s.write("target/t.txt", "t");
    s.write("wd/real.txt", "r");
    s.link("wd/linked_dir", (s.root / "target").string());
    s.link("wd/linked_file", (s.root / "wd/real.txt").string());
    s.link("wd/dangling", (s.root / "nowhere").string());
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd"})");
    std::set<std::string> names;
    for (const auto& [name, e] : list_zip(packaging::build_package(env.packages.at(0), {}, s.root).path()))
        names.insert(name);
    // A dangling link enters the hash by name only and is not archived, as in Ray.
    BOOST_TEST((names == std::set<std::string>{"linked_dir/t.txt", "linked_file", "real.txt"}));

    s.link("wd/up", (s.root / "wd").string());
    client_error loop =
        expect_client_error(error_kind::invalid_argument, [&] { prepare(s, R"({"working_dir": "wd"})"); });
    BOOST_TEST(contains(loop.message(), "runtime_env.working_dir: 'up' is a symbolic link loop"));
    // An excluded loop is never walked.
    BOOST_CHECK_NO_THROW(prepare(s, R"({"working_dir": "wd", "excludes": ["/up"]})"));
    fs::remove(s.root / "wd/up");
    s.link("wd/self", "self");
    BOOST_TEST(contains(
        expect_client_error(error_kind::invalid_argument, [&] { prepare(s, R"({"working_dir": "wd"})"); }).message(),
        "'self' is a symbolic link loop"));
}

BOOST_AUTO_TEST_CASE(names_that_are_not_utf8_fail_unless_excluded) {
    scratch s;
    s.write("wd/ok.txt", "ok");
    s.write("wd/bad\xFF.bin", "x");
    client_error error =
        expect_client_error(error_kind::invalid_argument, [&] { prepare(s, R"({"working_dir": "wd"})"); });
    BOOST_TEST(contains(error.message(), "runtime_env.working_dir: the name 'bad?.bin' is not valid UTF-8"));
    BOOST_CHECK_NO_THROW(prepare(s, R"({"working_dir": "wd", "excludes": ["*.bin"]})"));
}

BOOST_AUTO_TEST_CASE(unsupported_local_paths_are_400s) {
    scratch s;
    s.write("w.whl", "w");
    s.write("notes.txt", "n");
    s.write("a.zip", "z");
    const std::vector<std::pair<std::string, std::string>> table{
        {R"({"working_dir": "missing"})", "runtime_env.working_dir: 'missing' must be an existing directory or a .zip"},
        {R"({"working_dir": "w.whl"})", "runtime_env.working_dir: 'w.whl' must be an existing directory or a .zip"},
        {R"({"py_modules": ["notes.txt"]})",
         "runtime_env.py_modules[0]: 'notes.txt' must be an existing directory, .py file or .whl"},
        {R"({"py_modules": ["a.zip"]})",
         "runtime_env.py_modules[0]: 'a.zip' must be"},  // Ray: no local archives in py_modules
        {R"({"py_modules": ["gone.whl"]})", "runtime_env.py_modules[0]: 'gone.whl' must be"},
        {R"({"py_modules": ["gone.py"]})", "runtime_env.py_modules[0]:"},
        {R"({"working_dir": ".", "excludes": ["!"]})", "runtime_env.excludes[0]: invalid pattern"},
    };
    for (const auto& [input, message] : table) {
        BOOST_TEST_CONTEXT(input) {
            const client_error error = expect_client_error(error_kind::invalid_argument, [&] { prepare(s, input); });
            BOOST_TEST(contains(error.message(), message), error.message());
        }
    }
    const client_error bad_default = expect_client_error(error_kind::invalid_argument, [&] {
        prepare(s, R"({"working_dir": "."})", {{"RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES", "ok,[z-a]"}});
    });
    BOOST_TEST(contains(bad_default.message(), "RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES[1]"));
}

BOOST_AUTO_TEST_CASE(default_excludes_follow_the_override_variable) {
    core::environment_view none;
    BOOST_TEST((packaging::default_excludes(none) == std::vector<std::string>{".git", ".venv", "venv", "__pycache__"}));
    core::environment_view custom;
    custom.get_variable = [](const char*) -> std::optional<std::string> { return std::string(" build , ,.tox,"); };
    BOOST_TEST((packaging::default_excludes(custom) == std::vector<std::string>{"build", ".tox"}));
    core::environment_view empty;
    empty.get_variable = [](const char*) -> std::optional<std::string> { return std::string(); };
    BOOST_TEST(packaging::default_excludes(empty).empty());
}

BOOST_AUTO_TEST_CASE(compression_deflates_what_shrinks_and_leaves_the_uri_alone) {
    scratch s;
    s.write("wd/text.txt", std::string(200000, 'a'));
    std::string noise(100000, '\0');
    std::uint64_t state = 88172645463325252ull;  // xorshift: bytes with ~8 bits of entropy each
    for (char& c : noise) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        c = static_cast<char>(state >> 56);
    }
    s.write("wd/noise.bin", noise);
    s.write("wd/empty.txt", "");
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd"})");
    const packaging::package_file compressed = packaging::build_package(
        env.packages.at(0), packaging_options().with_compression(package_compression::always), s.root);
    const packaging::package_file stored = packaging::build_package(
        env.packages.at(0), packaging_options().with_compression(package_compression::never), s.root);
    const auto deflated = list_zip(compressed.path());
    BOOST_TEST(deflated.at("text.txt").method == ZIP_CM_DEFLATE);
    // Random data (like already compressed formats) is not worth deflating: stored as it is.
    BOOST_TEST(deflated.at("noise.bin").method == ZIP_CM_STORE);
    BOOST_TEST(deflated.at("empty.txt").method == ZIP_CM_STORE);
    BOOST_TEST(list_zip(stored.path()).at("text.txt").method == ZIP_CM_STORE);
    BOOST_TEST(compressed.size() < 110000u);
    BOOST_TEST(stored.size() > 300000u);
}

BOOST_AUTO_TEST_CASE(an_empty_package_is_a_valid_empty_zip) {
    scratch s;
    s.write("wd/a.txt", "a");
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd", "excludes": ["*"]})");
    const packaging::package_file zip = packaging::build_package(
        env.packages.at(0), packaging_options().with_compression(package_compression::always), s.root);
    BOOST_TEST(zip.size() == 22u);
    BOOST_TEST(list_zip(zip.path()).empty());
}

BOOST_AUTO_TEST_CASE(temporary_files_are_removed_on_every_path) {
    scratch s;
    s.write("wd/a.bin", std::string(3 << 20, 'x'));
    s.write("wd/b.bin", std::string(3 << 20, 'y'));
    const fs::path temp_root = s.mkdir("tmp");
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd"})");
    // Success: the zip lives as long as its handle.
    fs::path built;
    {
        const packaging::package_file zip = packaging::build_package(env.packages.at(0), {}, temp_root);
        built = zip.path();
        BOOST_TEST(fs::exists(built));
    }
    BOOST_TEST(!fs::exists(built));
    BOOST_TEST(is_empty_directory(temp_root));
    // A progress callback that throws mid-way abandons the zip.
    packaging_options cancelling;
    cancelling.on_progress = [](const packaging_progress& p) {
        if (p.phase == packaging_phase::archiving && p.bytes_done > (1u << 20)) throw std::runtime_error("cancelled");
    };
    BOOST_CHECK_THROW(packaging::build_package(env.packages.at(0), cancelling, temp_root), std::runtime_error);
    BOOST_TEST(is_empty_directory(temp_root));
    // A file changed after hashing: the URI would lie about the content.
    s.write("wd/b.bin", std::string(3 << 20, 'z'));
    const client_error changed = expect_client_error(
        error_kind::invalid_argument, [&] { packaging::build_package(env.packages.at(0), {}, temp_root); });
    BOOST_TEST(contains(changed.message(), "'b.bin' changed while it was being packaged"));
    BOOST_TEST(is_empty_directory(temp_root));
    // Grown: noticed while reading, before libzip sees more bytes than it was told.
    s.write("wd/b.bin", std::string((3 << 20) + 5, 'y'));
    const client_error grown = expect_client_error(
        error_kind::invalid_argument, [&] { packaging::build_package(env.packages.at(0), {}, temp_root); });
    BOOST_TEST(contains(grown.message(), "'b.bin' changed while it was being packaged"));
    BOOST_TEST(is_empty_directory(temp_root));
}

BOOST_AUTO_TEST_CASE(size_limit_is_checked_before_upload_and_names_the_largest_entries) {
    scratch s;
    s.write("wd/data/big.bin", std::string(300000, 'b'));
    s.write("wd/data/small.bin", std::string(1000, 's'));
    s.write("wd/main.py", "print(1)\n");
    const fs::path temp_root = s.mkdir("tmp");
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd"})");
    const package_info& info = env.packages.at(0);
    BOOST_REQUIRE_GE(info.largest.size(), 3u);
    BOOST_TEST(info.largest[0].path == "data/");
    BOOST_TEST(info.largest[0].bytes == 301000u);
    BOOST_TEST(info.largest[1].path == "data/big.bin");

    const client_error error = expect_client_error(error_kind::invalid_argument, [&] {
        packaging::build_package(
            info, packaging_options().with_compression(package_compression::never).with_size_limit(100000), temp_root);
    });
    for (const char* part : {"runtime_env.working_dir: the package of 'wd' is 0.29 MiB", "upload limit of 0.10 MiB",
                             "'data/' 0.29 MiB", "'data/big.bin' 0.29 MiB", "excludes", ".rayignore"})
        BOOST_TEST(contains(error.message(), part), error.message());
    BOOST_TEST(is_empty_directory(temp_root));
    // Compressed, the same tree fits.
    BOOST_TEST(packaging::build_package(info, packaging_options().with_size_limit(100000), temp_root).size() < 100000u);
    // An archive is measured as it is.
    s.write("big.zip", std::string(2000, 'z'));
    const prepared_runtime_env archive = prepare(s, R"({"working_dir": "big.zip"})");
    const client_error too_big = expect_client_error(error_kind::invalid_argument, [&] {
        packaging::build_package(archive.packages.at(0), packaging_options().with_size_limit(1000), temp_root);
    });
    BOOST_TEST(contains(too_big.message(), "the archive 'big.zip' is 0.00 MiB, more than the upload limit"));
}

BOOST_AUTO_TEST_CASE(progress_reports_cover_every_byte) {
    scratch s;
    s.write("wd/a.bin", std::string(700000, 'a'));
    s.write("wd/b.bin", std::string(500000, 'b'));
    std::map<packaging_phase, std::pair<std::uint64_t, std::uint64_t>> last;
    bool monotonic = true;
    packaging_options options;
    options.on_progress = [&](const packaging_progress& p) {
        BOOST_TEST(p.field == "working_dir");
        auto& seen = last[p.phase];
        if (p.bytes_done < seen.first) monotonic = false;
        seen = {p.bytes_done, p.bytes_total};
    };
    const prepared_runtime_env env = prepare(s, R"({"working_dir": "wd"})", {}, options);
    packaging::build_package(env.packages.at(0), options, s.root);
    BOOST_TEST(monotonic);
    BOOST_TEST(last[packaging_phase::hashing].first == 1200000u);
    BOOST_TEST(last[packaging_phase::hashing].second == 1200000u);
    BOOST_TEST(last[packaging_phase::archiving].first == 1200000u);
}

BOOST_AUTO_TEST_CASE(building_needs_a_planned_package) {
    package_info unplanned;
    unplanned.field = "working_dir";
    BOOST_TEST(contains(
        expect_client_error(error_kind::invalid_argument, [&] { packaging::build_package(unplanned, {}); }).message(),
        "not planned"));
}

BOOST_AUTO_TEST_SUITE_END()
