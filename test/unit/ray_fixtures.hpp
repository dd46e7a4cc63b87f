// The recorded real-Ray responses of test/fixtures/ray/ for the unit tests.
#pragma once

#include "support/test_paths.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace raycl::test {

inline const std::filesystem::path ray_fixture_dir = std::filesystem::path(fixture_dir()) / "ray";

/// The bytes of a file (a fixture, given by its path).
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("missing fixture " + path.string());
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

/// A file parsed as JSON.
inline boost::json::value read_json(const std::filesystem::path& path) {
    return boost::json::parse(read_text(path));
}

/// The bytes of test/fixtures/ray/<name>.
inline std::string ray_fixture(const std::string& name) {
    return read_text(ray_fixture_dir / name);
}

/// test/fixtures/ray/<name> parsed as JSON.
inline boost::json::value ray_fixture_json(const std::string& name) {
    return read_json(ray_fixture_dir / name);
}

}  // namespace raycl::test
