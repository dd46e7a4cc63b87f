// Ray 2.60's rules for the strings of runtime_env `working_dir` and `py_modules`: what is a URI
// (ray/_common/runtime_env_uri.py::parse_uri), which extensions each field accepts
// (ray/_common/runtime_env_package.py), and the gcs:// names of packages
// (ray/_private/runtime_env/packaging.py::get_uri_for_*). Pure code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace raycl::core {

/// The runtime_env field a package string belongs to: the accepted extensions differ.
enum class package_field {
    working_dir,  ///< `.zip .tar.gz .tgz .tar.xz`
    py_modules,   ///< `.zip .whl .tar.gz .tgz .tar.xz`
};

/// What a `working_dir` or `py_modules` string is, by Ray's rules.
enum class package_reference {
    local_path,   ///< Not a URI (no scheme, or one Ray does not know): a path on this machine.
    local_uri,    ///< `local:///abs/dir`: a directory used in place on every node.
    package_uri,  ///< `gcs://` or a remote protocol (http, https, s3, gs, azure, abfss, file).
    other_uri,    ///< `conda://`, `pip://`, `uv://`: Ray passes them through unchecked.
};

/// Classifies a `working_dir`/`py_modules` string. `field_name` (e.g. "runtime_env.py_modules[1]")
/// names it in errors.
/// @throws client_error 400 for a `local://` URI that is not absolute or names an archive, and
/// for a package URI whose extension the field does not accept. The query string of a URI (it
/// may hold a signature) is never repeated.
package_reference classify_package_reference(std::string_view value, package_field field, std::string_view field_name);

/// True when `name` ends with an extension the field accepts for a local archive or wheel.
bool has_package_extension(std::string_view name, package_field field) noexcept;

/// The accepted extensions, as Ray lists them in messages: ".zip, .tar.gz, .tgz, .tar.xz".
std::string_view package_extensions_text(package_field field) noexcept;

/// `str(PurePosixPath(path))`: repeated slashes and "." components removed, trailing slash
/// dropped, "" becomes "."; ".." is kept (pathlib does not resolve it).
std::string pure_posix_path(std::string_view path);

/// `PurePosixPath(path).name`: the last component, "" for "/" or ".".
std::string_view pure_path_name(std::string_view normalized_path) noexcept;

/// `PurePosixPath(path).suffix` of a name: from its last '.', unless that dot starts or ends it.
std::string_view pure_path_suffix(std::string_view name) noexcept;

/// The 8 bytes of Ray's XOR-of-SHA-1 content hash of a directory or single module.
using package_hash = std::array<std::uint8_t, 8>;

/// Lower-case hex of bytes (Ray's package names use `hexdigest()`).
std::string lower_hex(const std::uint8_t* data, std::size_t size);

/// `gcs://_ray_pkg_<16 hex>.zip`: the URI of a zipped directory or `.py` module.
std::string zipped_package_uri(const package_hash& hash);

/// `get_uri_for_package` for an archive: `gcs://_ray_pkg_<sha1 hex>` + `.tar.gz` (for `.tar.gz`
/// and `.tgz`), `.tar.xz`, or `.zip` (anything else).
std::string archive_package_uri(std::string_view file_name, std::string_view sha1_hex);

/// `get_uri_for_package` for a wheel: `gcs://<file name>`, its name being content-addressed.
std::string wheel_package_uri(std::string_view file_name);

/// The package name of a `gcs://` URI (its netloc), as the `/api/packages/gcs/<name>` routes use.
std::string_view gcs_package_name(std::string_view uri) noexcept;

}  // namespace raycl::core
