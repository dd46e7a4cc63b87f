// Test-only probe of the differential test (packaging_differential.py): reads one request per
// line on stdin, plans and builds its packages with raycl, prints one JSON line per request.
//   in:  {"runtime_env": {...}, "cwd": "/dir", "variables": {"NAME": "value"}, "zip_dir": "/out"}
//   out: {"runtime_env": {...}, "packages": [{"field": "working_dir", "uri": "gcs://...",
//         "kind": "directory", "zip": "/out/0.zip"}]}   or   {"error": "...", "status": 400}
// Each built zip is copied to zip_dir (the original is removed with its temporary directory).
#include "runtime_env/packaging.hpp"

#include <raycl/error.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <iostream>
#include <map>
#include <string>

namespace json = boost::json;

namespace {

json::object run(const json::object& request) {
    std::map<std::string, std::string> variables;
    if (const json::value* v = request.if_contains("variables"))
        for (const auto& entry : v->as_object()) variables[entry.key()] = std::string(entry.value().as_string());
    raycl::packaging::packaging_environment environment = raycl::packaging::packaging_environment::system();
    environment.cache_directory.reset();  // every tree hashed from its bytes
    environment.files.cwd = std::string(request.at("cwd").as_string());
    environment.variables.get_variable = [variables](const char* name) -> std::optional<std::string> {
        auto it = variables.find(name);
        if (it == variables.end()) return std::nullopt;
        return it->second;
    };
    const std::filesystem::path zip_dir(std::string(request.at("zip_dir").as_string()));
    raycl::packaging_options options;
    if (const json::value* c = request.if_contains("compress"))
        options.compression = c->as_bool() ? raycl::package_compression::always : raycl::package_compression::never;

    const raycl::prepared_runtime_env prepared =
        raycl::packaging::prepare_runtime_env(request.at("runtime_env").as_object(), environment, options);
    json::object out;
    out["runtime_env"] = prepared.runtime_env;
    json::array packages;
    for (std::size_t i = 0; i < prepared.packages.size(); ++i) {
        const raycl::package_info& info = prepared.packages[i];
        json::object package;
        package["field"] = info.field;
        package["uri"] = info.uri;
        package["kind"] = std::string(raycl::to_string(info.kind));
        package["size"] = info.size;
        package["file_count"] = info.file_count;
        const raycl::packaging::package_file file = raycl::packaging::build_package(info, options, zip_dir);
        const std::filesystem::path copy = zip_dir / (std::to_string(i) + ".zip");
        std::filesystem::copy_file(file.path(), copy, std::filesystem::copy_options::overwrite_existing);
        package["zip"] = copy.string();
        package["archive_size"] = file.size();
        packages.push_back(std::move(package));
    }
    out["packages"] = std::move(packages);
    return out;
}

}  // namespace

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        json::object out;
        try {
            out = run(json::parse(line).as_object());
        } catch (const raycl::client_error& error) {
            out["error"] = error.message();
            out["status"] = error.status();
        } catch (const std::exception& error) {
            out["error"] = std::string("unexpected: ") + error.what();
            out["status"] = 0;
        }
        std::cout << json::serialize(out) << std::endl;
    }
    return 0;
}
