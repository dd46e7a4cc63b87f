#include "core/runtime_env_uri.hpp"

#include "core/sanitize.hpp"
#include "core/text.hpp"

#include <raycl/error.hpp>

#include <algorithm>
#include <array>
#include <vector>

namespace raycl::core {
namespace {

constexpr std::array<std::string_view, 4> working_dir_extensions{".zip", ".tar.gz", ".tgz", ".tar.xz"};
constexpr std::array<std::string_view, 5> py_modules_extensions{".zip", ".whl", ".tar.gz", ".tgz", ".tar.xz"};
// PACKAGE_UPLOAD_EXTENSIONS: the union of both, what a local:// path must not end with.
constexpr std::array<std::string_view, 5> upload_extensions = py_modules_extensions;
constexpr std::array<std::string_view, 3> compound_extensions{".tar.gz", ".tar.bz2", ".tar.xz"};
constexpr std::array<std::string_view, 7> remote_protocols{"http", "https", "s3", "gs", "azure", "abfss", "file"};
constexpr std::array<std::string_view, 3> other_protocols{"conda", "pip", "uv"};
// urllib.parse.uses_params: schemes whose last path segment may carry ";params".
constexpr std::array<std::string_view, 16> schemes_with_params{"",      "ftp",   "hdl",  "prospero", "http",  "imap",
                                                               "https", "shttp", "rtsp", "rtsps",    "rtspu", "sip",
                                                               "sips",  "mms",   "sftp", "tel"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// get_package_extension: the longest listed extension `path` ends with, "" when none.
template <std::size_t N>
std::string_view longest_extension(std::string_view path, const std::array<std::string_view, N>& extensions) {
    std::string_view best;
    for (std::string_view extension : extensions)
        if (path.ends_with(extension) && extension.size() > best.size()) best = extension;
    return best;
}

std::string_view extension_in(std::string_view path, package_field field) {
    return field == package_field::working_dir ? longest_extension(path, working_dir_extensions)
                                               : longest_extension(path, py_modules_extensions);
}

std::string_view field_key(package_field field) {
    return field == package_field::working_dir ? "working_dir" : "py_modules";
}

[[noreturn]] void reject(std::string_view field_name, std::string_view problem) {
    throw client_error(error_kind::invalid_argument, sanitize(std::string(field_name) + ": " + std::string(problem)));
}

bool is_ascii_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_scheme_char(char c) noexcept {
    return is_ascii_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// The parts of urllib.parse.urlparse that Ray's rules read.
struct python_url {
    std::string scheme;  // lower-cased
    std::string netloc;
    std::string path;
    bool parse_error = false;  // urlparse raises ValueError (an unbalanced IPv6 bracket)
};

python_url python_urlparse(std::string_view raw) {
    // urlsplit: leading C0 controls and spaces are stripped, tabs and line breaks removed.
    std::string url;
    std::size_t begin = 0;
    while (begin < raw.size() && static_cast<unsigned char>(raw[begin]) <= 0x20) ++begin;
    for (char c : raw.substr(begin))
        if (c != '\t' && c != '\r' && c != '\n') url.push_back(c);

    python_url out;
    std::string_view rest = url;
    const std::size_t colon = rest.find(':');
    if (colon != std::string_view::npos && colon > 0 && is_ascii_alpha(rest[0]) &&
        std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(colon), is_scheme_char)) {
        out.scheme = to_lower(rest.substr(0, colon));
        rest.remove_prefix(colon + 1);
    }
    if (rest.starts_with("//")) {
        const std::size_t end = rest.find_first_of("/?#", 2);
        out.netloc = std::string(rest.substr(2, end == std::string_view::npos ? end : end - 2));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
        const bool open = out.netloc.find('[') != std::string::npos;
        const bool close = out.netloc.find(']') != std::string::npos;
        if (open != close) out.parse_error = true;
    }
    rest = rest.substr(0, rest.find('#'));
    rest = rest.substr(0, rest.find('?'));
    if (contains(schemes_with_params, out.scheme)) {
        // _splitparams: ";..." in the last segment is not part of the path.
        const std::size_t last_slash = rest.rfind('/');
        const std::size_t semicolon = rest.find(';', last_slash == std::string_view::npos ? 0 : last_slash);
        rest = rest.substr(0, semicolon);
    }
    out.path = std::string(rest);
    return out;
}

bool starts_with_windows_drive(std::string_view path) noexcept {
    return path.size() >= 3 && is_ascii_alpha(path[0]) && path[1] == ':' && (path[2] == '/' || path[2] == '\\');
}

// parse_uri's checks of "local://": a lower-case-insensitive prefix, an absolute path, no archive.
void check_local_uri(std::string_view value, std::string_view field_name) {
    constexpr std::string_view prefix = "local://";
    if (to_lower(value.substr(0, prefix.size())) != prefix)
        reject(field_name, "a local URI must start with local://, e.g. local:///path/in/image");
    std::string_view path = value.substr(prefix.size());
    if (path.starts_with('/') && starts_with_windows_drive(path.substr(1))) path.remove_prefix(1);
    if (!path.starts_with('/') && !starts_with_windows_drive(path))
        reject(field_name, "the path of a local:// URI must be absolute, e.g. local:///path/in/image");
    if (std::string_view archive = longest_extension(path, upload_extensions); !archive.empty())
        reject(field_name, "a local:// URI must name a directory, not a " + std::string(archive) +
                               " archive (it is used in place and never unpacked)");
}

}  // namespace

package_reference classify_package_reference(std::string_view value, package_field field, std::string_view field_name) {
    const python_url url = python_urlparse(value);
    if (url.scheme == "local") {
        check_local_uri(value, field_name);
        return package_reference::local_uri;
    }
    const bool remote = contains(remote_protocols, url.scheme);
    if (url.parse_error || (!remote && url.scheme != "gcs" && !contains(other_protocols, url.scheme)))
        return package_reference::local_path;  // parse_uri raises ValueError: Ray treats it as a path
    if (!remote && url.scheme != "gcs") return package_reference::other_uri;

    // The name parse_uri derives; only its extension matters for the check.
    std::string name;
    if (url.scheme == "gcs") {
        name = url.netloc;
    } else if (url.path.ends_with(".whl")) {
        name = url.path.substr(url.path.rfind('/') + 1);
    } else {
        const std::string joined = url.netloc + url.path;
        std::string_view suffix = longest_extension(joined, compound_extensions);
        const std::string normalized = pure_posix_path(joined);
        if (suffix.empty()) suffix = pure_path_suffix(pure_path_name(normalized));
        name = url.scheme + "_" + std::string(suffix);
    }
    if (extension_in(name, field).empty()) {
        const std::string_view shown = value.substr(0, value.find('?'));
        reject(field_name, "only " + std::string(package_extensions_text(field)) + " files are supported for " +
                               std::string(field_key(field)) + " URIs; got " + one_line(shown));
    }
    return package_reference::package_uri;
}

bool has_package_extension(std::string_view name, package_field field) noexcept {
    return !extension_in(name, field).empty();
}

std::string_view package_extensions_text(package_field field) noexcept {
    return field == package_field::working_dir ? ".zip, .tar.gz, .tgz, .tar.xz" : ".zip, .whl, .tar.gz, .tgz, .tar.xz";
}

std::string pure_posix_path(std::string_view path) {
    std::size_t slashes = 0;
    while (slashes < path.size() && path[slashes] == '/') ++slashes;
    // POSIX keeps exactly two leading slashes; one or three and more mean the root.
    std::string out = slashes == 0 ? "" : slashes == 2 ? "//" : "/";
    const std::size_t root_size = out.size();
    std::size_t start = slashes;
    while (start < path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view part = path.substr(start, end - start);
        if (!part.empty() && part != ".") {
            if (out.size() > root_size) out.push_back('/');
            out.append(part);
        }
        start = end + 1;
    }
    return out.empty() ? "." : out;
}

std::string_view pure_path_name(std::string_view normalized_path) noexcept {
    if (normalized_path == "." || normalized_path.find_first_not_of('/') == std::string_view::npos) return {};
    return normalized_path.substr(normalized_path.rfind('/') + 1);
}

std::string_view pure_path_suffix(std::string_view name) noexcept {
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= name.size()) return {};
    return name.substr(dot);
}

std::string lower_hex(const std::uint8_t* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 0xF]);
    }
    return out;
}

std::string zipped_package_uri(const package_hash& hash) {
    return "gcs://_ray_pkg_" + lower_hex(hash.data(), hash.size()) + ".zip";
}

std::string archive_package_uri(std::string_view file_name, std::string_view sha1_hex) {
    std::string_view extension = ".zip";
    if (file_name.ends_with(".tar.gz") || pure_path_suffix(file_name) == ".tgz") {
        extension = ".tar.gz";
    } else if (file_name.ends_with(".tar.xz")) {
        extension = ".tar.xz";
    }
    return "gcs://_ray_pkg_" + std::string(sha1_hex) + std::string(extension);
}

std::string wheel_package_uri(std::string_view file_name) {
    return "gcs://" + std::string(file_name);
}

std::string_view gcs_package_name(std::string_view uri) noexcept {
    constexpr std::string_view prefix = "gcs://";
    if (!uri.starts_with(prefix)) return {};
    uri.remove_prefix(prefix.size());
    return uri.substr(0, uri.find_first_of("/?#"));
}

}  // namespace raycl::core
