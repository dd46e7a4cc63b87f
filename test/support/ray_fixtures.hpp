// Responses recorded from real Ray releases (test/fixtures/ray/<version>/, written by
// scripts/ray-versions/record_fixtures.py): which releases were recorded, and each file with
// the request, status and content type its index.json gives it and the HTTP chunks of its body
// (`<file>.chunks.json`). For the unit and component suites that run over every release, so a
// decoder change that breaks an old cluster fails without one. Header-only; needs
// raycl::test::fixture_dir() (the test/fixtures directory) and Boost.JSON.
#pragma once

#include "support/test_paths.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace raycl::test {

/// The bytes of a file (throws when it cannot be read).
inline std::string read_file_bytes(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

/// test/fixtures/ray.
inline std::filesystem::path ray_fixture_root() {
    return std::filesystem::path(raycl::test::fixture_dir()) / "ray";
}

/// "2.44.1" -> {2, 44, 1}; nullopt for a name that is not a release.
inline std::optional<std::tuple<int, int, int>> release_of(const std::string& name) {
    int major = 0, minor = 0, patch = 0;
    char dot1 = 0, dot2 = 0;
    std::istringstream in(name);
    if (!(in >> major >> dot1 >> minor >> dot2 >> patch) || dot1 != '.' || dot2 != '.' || in.peek() != EOF)
        return std::nullopt;
    return std::tuple{major, minor, patch};
}

/// The recorded releases (directory names), oldest first.
inline std::vector<std::string> recorded_ray_versions() {
    std::vector<std::string> versions;
    for (const auto& entry : std::filesystem::directory_iterator(ray_fixture_root())) {
        const auto name = entry.path().filename().string();
        if (entry.is_directory() && release_of(name)) versions.push_back(name);
    }
    std::sort(versions.begin(), versions.end(),
              [](const std::string& a, const std::string& b) { return *release_of(a) < *release_of(b); });
    if (versions.empty()) throw std::runtime_error("no recorded Ray releases under " + ray_fixture_root().string());
    return versions;
}

/// One recorded response of a release.
struct recorded_response {
    std::string file;          ///< e.g. "logs_stream_job.txt"
    std::string request;       ///< e.g. "GET /api/v0/logs/stream?submission_id=..."
    int status = 0;            ///< the HTTP status Ray answered
    std::string content_type;  ///< as Ray sent it
    std::string body;          ///< byte for byte
    /// Sizes of the body's HTTP chunks, as Ray wrote them (empty when not recorded).
    std::vector<std::size_t> chunk_sizes;

    /// The body cut at the recorded chunk sizes (the whole body as one chunk when none were recorded).
    std::vector<std::string> chunks() const {
        if (chunk_sizes.empty()) return {body};
        std::vector<std::string> out;
        std::size_t at = 0;
        for (const auto size : chunk_sizes) {
            out.push_back(body.substr(at, size));
            at += size;
        }
        return out;
    }
    /// Offsets where the recorded chunks start.
    std::vector<std::size_t> chunk_starts() const {
        std::vector<std::size_t> starts;
        std::size_t at = 0;
        for (const auto size : chunk_sizes) {
            starts.push_back(at);
            at += size;
        }
        return starts;
    }
};

/// The recorded responses of a release (`subdir`: "" or "token"), by its index.json.
class recorded_release {
public:
    explicit recorded_release(std::string version, std::string subdir = {})
        : version_(std::move(version)), dir_(ray_fixture_root() / version_) {
        if (!subdir.empty()) dir_ /= subdir;
        index_ = boost::json::parse(read_file_bytes(dir_ / "index.json")).as_object();
    }

    const std::string& version() const noexcept { return version_; }
    const std::filesystem::path& dir() const noexcept { return dir_; }

    bool has(const std::string& file) const { return index_.contains(file); }

    /// The file's response; throws when the release has no such recording.
    recorded_response get(const std::string& file) const {
        const auto* entry = index_.if_contains(file);
        if (!entry) throw std::runtime_error("Ray " + version_ + " has no recording " + file);
        // index.json: file -> [request, status, content type, note, auth mode]
        const auto& row = entry->as_array();
        recorded_response response;
        response.file = file;
        response.request = std::string(row.at(0).as_string());
        response.status = static_cast<int>(row.at(1).to_number<int>());
        response.content_type = std::string(row.at(2).as_string());
        response.body = read_file_bytes(dir_ / file);
        const auto chunks = dir_ / (file + ".chunks.json");
        if (std::filesystem::exists(chunks)) {
            const auto list = boost::json::parse(read_file_bytes(chunks));
            for (const auto& chunk : list.as_array())
                response.chunk_sizes.push_back(chunk.at("size").to_number<std::size_t>());
        }
        return response;
    }

    /// Every recorded file whose name starts with `prefix` and ends with `suffix`, sorted.
    std::vector<std::string> files(const std::string& prefix, const std::string& suffix = {}) const {
        std::vector<std::string> names;
        for (const auto& entry : index_) {
            const std::string name(entry.key());
            if (name.starts_with(prefix) && name.ends_with(suffix)) names.push_back(name);
        }
        std::sort(names.begin(), names.end());
        return names;
    }

private:
    std::string version_;
    std::filesystem::path dir_;
    boost::json::object index_;
};

}  // namespace raycl::test
