#include "submit_options.hpp"

#include "text.hpp"

#include <boost/json/array.hpp>

#include <cstdio>

namespace raycl::cli {

std::optional<boost::json::object> compose_runtime_env(const command& cmd,
                                                       const std::optional<boost::json::object>& from_file) {
    std::optional<boost::json::object> env = from_file ? from_file : cmd.runtime_env;
    if (cmd.working_dir) {
        if (!env) env.emplace();
        (*env)["working_dir"] = *cmd.working_dir;
    }
    if (!cmd.py_modules.empty()) {
        if (!env) env.emplace();
        boost::json::array modules;
        for (const auto& module : cmd.py_modules) modules.emplace_back(module);
        (*env)["py_modules"] = std::move(modules);
    }
    return env;
}

std::vector<std::pair<std::string, std::string>> parse_headers_json(const std::string& text, const std::string& what) {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [key, value] : parse_json_object(text, what)) {
        const std::string name(key);
        if (!value.is_string()) throw invalid_value(what + ": value of '" + name + "' is not a string");
        if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos)
            throw invalid_value(what + ": '" + name + "' is not a header name");
        const std::string text_value(value.as_string());
        if (text_value.find_first_of("\r\n") != std::string::npos)
            throw invalid_value(what + ": the value of '" + name + "' has a line break");
        headers.emplace_back(name, text_value);
    }
    return headers;
}

void apply_verify(command& cmd, const std::string& value) {
    const std::string word = to_lower(value);
    if (word == "true" || word == "1" || word == "yes" || word == "y" || word == "t" || word == "on") {
        cmd.verify_tls = true;
        cmd.verify_ca_file.reset();
    } else if (word == "false" || word == "0" || word == "no" || word == "n" || word == "f" || word == "off") {
        cmd.verify_tls = false;
        cmd.verify_ca_file.reset();
    } else if (value.empty()) {
        throw invalid_value("--verify needs true, false, or a CA file or directory");
    } else {
        cmd.verify_tls = true;
        cmd.verify_ca_file = value;
    }
}

void apply_job_submit_connection(const command& cmd, const char* ray_job_headers, client_options& options) {
    std::optional<std::vector<std::pair<std::string, std::string>>> headers = cmd.job_headers;
    if (!headers && ray_job_headers && *ray_job_headers) {
        try {
            headers = parse_headers_json(ray_job_headers, "RAY_JOB_HEADERS");
        } catch (const invalid_value& error) {
            throw usage_error(error.what(), "raycl job submit");
        }
    }
    if (headers) options.headers.insert(options.headers.end(), headers->begin(), headers->end());
    if (cmd.verify_tls) options.tls.verify_peer = *cmd.verify_tls;
    if (cmd.verify_ca_file) options.tls.ca_file = *cmd.verify_ca_file;
}

std::string format_bytes(std::uint64_t bytes) {
    char text[32];
    if (bytes < 1024)
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    else if (bytes < std::uint64_t{1} << 20)
        std::snprintf(text, sizeof text, "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
    else if (bytes < std::uint64_t{1} << 30)
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    else
        std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
    return text;
}

std::string progress_line(const packaging_progress& report) {
    std::string line = "raycl: " + std::string(report.field) + ": ";
    if (report.phase == packaging_phase::skipped) return line + "already on the cluster, skipped";
    line += std::string(to_string(report.phase)) + " " + format_bytes(report.bytes_done) + " / " +
            format_bytes(report.bytes_total);
    if (report.bytes_total > 0) line += " (" + std::to_string(report.bytes_done * 100 / report.bytes_total) + "%)";
    return line;
}

bool progress_line_is_final(const packaging_progress& report) noexcept {
    return report.phase == packaging_phase::skipped ||
           (report.phase == packaging_phase::uploading && report.bytes_done == report.bytes_total);
}

}  // namespace raycl::cli
