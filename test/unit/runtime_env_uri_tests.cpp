// Ray's URI rules for working_dir/py_modules strings and the gcs:// names of packages.
// Classifications and names were checked against Ray 2.60 (parse_uri, _check_is_uri,
// validate_package_extension, get_uri_for_package) in the project's venv.
#include "core/runtime_env_uri.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

using namespace raycl;
using core::package_field;
using core::package_reference;
using raycl::test::expect_client_error;

namespace {

package_reference classify(std::string_view value, package_field field = package_field::working_dir) {
    return core::classify_package_reference(value, field, "runtime_env.working_dir");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_env_uri_tests)

BOOST_AUTO_TEST_CASE(paths_and_uris_are_told_apart_like_urlparse) {
    BOOST_TEST((classify(".") == package_reference::local_path));
    BOOST_TEST((classify("") == package_reference::local_path));
    BOOST_TEST((classify("/abs/dir") == package_reference::local_path));
    BOOST_TEST((classify("my:dir") == package_reference::local_path));             // scheme "my": unknown to Ray
    BOOST_TEST((classify("C:/x") == package_reference::local_path));               // scheme "c"
    BOOST_TEST((classify("1ab://x.zip") == package_reference::local_path));        // a scheme starts with a letter
    BOOST_TEST((classify("http://[::1/x.zip") == package_reference::local_path));  // urlparse raises
    BOOST_TEST((classify("gcs://_ray_pkg_abc.zip") == package_reference::package_uri));
    BOOST_TEST((classify("GCS://_ray_pkg_abc.zip") == package_reference::package_uri));
    BOOST_TEST((classify(" \ts3://bucket/app.tar.gz") == package_reference::package_uri));
    BOOST_TEST((classify("https://h/app.zip?token=x") == package_reference::package_uri));
    BOOST_TEST((classify("https://h/app.zip/") == package_reference::package_uri));     // pathlib drops the slash
    BOOST_TEST((classify("https://h/app.zip;v=2") == package_reference::package_uri));  // ;params are not the path
    BOOST_TEST((classify("s3://app.tgz") == package_reference::package_uri));
    BOOST_TEST((classify("local:///opt/app") == package_reference::local_uri));
    BOOST_TEST((classify("LOCAL:///opt/app") == package_reference::local_uri));
    BOOST_TEST((classify("local://C:/app") == package_reference::local_uri));
    BOOST_TEST((classify("conda://anything") == package_reference::other_uri));
    BOOST_TEST((classify("s3://b/x.whl", package_field::py_modules) == package_reference::package_uri));
}

BOOST_AUTO_TEST_CASE(extensions_are_checked_per_field) {
    for (const char* bad : {"s3://b/x.whl", "gcs://bucket/x.zip", "https://h/archive", "s3://b/x.tar.bz2",
                            "https://h/x.ZIP", "s3://b/.zip"}) {
        BOOST_TEST_CONTEXT(bad) {
            expect_client_error(error_kind::invalid_argument, [&] { classify(bad); });
        }
    }
    expect_client_error(error_kind::invalid_argument, [] { classify("gcs://a.txt", package_field::py_modules); });
    for (const char* bad : {"local://rel", "local:/x", "local:///a/b.tar.gz", "local:///a/w.whl"}) {
        BOOST_TEST_CONTEXT(bad) {
            expect_client_error(error_kind::invalid_argument, [&] { classify(bad); });
        }
    }
    BOOST_TEST(core::has_package_extension("x.tgz", package_field::working_dir));
    BOOST_TEST(!core::has_package_extension("x.whl", package_field::working_dir));
    BOOST_TEST(core::has_package_extension("x.whl", package_field::py_modules));
}

BOOST_AUTO_TEST_CASE(pure_paths_follow_pathlib) {
    BOOST_TEST(core::pure_posix_path("") == ".");
    BOOST_TEST(core::pure_posix_path("./a//b/./") == "a/b");
    BOOST_TEST(core::pure_posix_path("/tmp/pk//condaenv/") == "/tmp/pk/condaenv");
    BOOST_TEST(core::pure_posix_path("//a") == "//a");
    BOOST_TEST(core::pure_posix_path("///a/../b") == "/a/../b");
    BOOST_TEST(core::pure_path_name("/a/b.py") == "b.py");
    BOOST_TEST(core::pure_path_name(".") == "");
    BOOST_TEST(core::pure_path_name("/") == "");
    BOOST_TEST(core::pure_path_suffix("a.tar.gz") == ".gz");
    BOOST_TEST(core::pure_path_suffix(".py") == "");
    BOOST_TEST(core::pure_path_suffix("a.") == "");
    BOOST_TEST(core::pure_path_suffix("a") == "");
}

BOOST_AUTO_TEST_CASE(package_names_match_ray) {
    core::package_hash hash{0xf8, 0xd5, 0x76, 0x24, 0x38, 0xb1, 0xd1, 0x03};
    BOOST_TEST(core::zipped_package_uri(hash) == "gcs://_ray_pkg_f8d5762438b1d103.zip");
    const char* sha = "a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd";
    BOOST_TEST(core::archive_package_uri("x.tar.gz", sha) ==
               "gcs://_ray_pkg_a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd.tar.gz");
    BOOST_TEST(core::archive_package_uri("x.tgz", sha) ==
               "gcs://_ray_pkg_a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd.tar.gz");
    BOOST_TEST(core::archive_package_uri("x.tar.xz", sha) ==
               "gcs://_ray_pkg_a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd.tar.xz");
    BOOST_TEST(core::archive_package_uri("x.zip", sha) ==
               "gcs://_ray_pkg_a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd.zip");
    BOOST_TEST(core::wheel_package_uri("pkg-1.0-py3-none-any.whl") == "gcs://pkg-1.0-py3-none-any.whl");
    BOOST_TEST(core::gcs_package_name("gcs://_ray_pkg_f8d5762438b1d103.zip") == "_ray_pkg_f8d5762438b1d103.zip");
    BOOST_TEST(core::gcs_package_name("s3://x") == "");
}

BOOST_AUTO_TEST_SUITE_END()
