// Output of the raycl CLI: aligned tables, key/value views, JSON and YAML documents, error
// lines and the wait spinner. Pure code (no I/O, no Asio).
#pragma once

#include "args.hpp"
#include "exit_codes.hpp"

#include <raycl/models.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::cli {

/// A table to render. Columns marked shrinkable are cut (with "...") to fit the width.
struct table {
    std::vector<std::string> headers;
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> shrinkable;  ///< per column; missing entries mean false
    int status_column = -1;        ///< column coloured by status when colour is on
};

/// Display width of UTF-8 text (code points; good enough for logs and ids).
std::size_t display_width(std::string_view text) noexcept;
/// `text` cut to at most `width` columns, ending in "..." when cut.
std::string shorten(std::string_view text, std::size_t width);
/// Control characters (newline, tab, ESC, ...) replaced by spaces: safe in one table cell.
std::string one_line(std::string_view text);
/// The ANSI colour a status is shown in ("" for none): green ok, red failed, yellow in progress.
std::string_view status_colour(std::string_view status) noexcept;
/// `text` wrapped in its status colour when `colour` is true.
std::string coloured_status(std::string_view text, bool colour);

/// Renders `t` with two spaces between columns in at most `width` columns, one row per line.
std::string render_table(const table& t, std::size_t width, bool colour);
/// Renders an object as aligned `key  value` lines: scalars as is, objects/arrays as compact
/// JSON cut to the width. `status`/`state` values are coloured when `colour` is true.
std::string render_object(const boost::json::object& object, std::size_t width, bool colour);

/// Unix milliseconds as local "YYYY-MM-DD HH:MM:SS"; "-" when unset.
std::string format_time_ms(const std::optional<std::int64_t>& ms);
/// A duration as "4s", "2m05s", "1h02m".
std::string format_elapsed(std::chrono::steady_clock::duration elapsed);

table jobs_table(const std::vector<job_details>& jobs);
table nodes_table(const std::vector<node_info>& nodes);
table tasks_table(const std::vector<task_info>& tasks);
table actors_table(const std::vector<actor_info>& actors);
table serve_table(const serve_instance& instance);
/// One application: its fields, then a table of its deployments.
std::string render_serve_application(const serve_application& app, std::size_t width, bool colour);
/// `raycl version` as text.
std::string render_versions(const version_info& server, const std::string& address);
/// `raycl version` as JSON: {"client": {"raycl": ...}, "server": <raw>}.
boost::json::object versions_json(const version_info& server);

/// The raw objects of a list, unchanged, as a JSON array.
template <class T>
boost::json::array raw_array(const std::vector<T>& items) {
    boost::json::array out;
    out.reserve(items.size());
    for (const auto& item : items) out.push_back(*item.raw);
    return out;
}

/// One JSON document and a newline.
std::string json_document(const boost::json::value& value);
/// `value` as one document of `output` (json or yaml; table is json): what --output prints for
/// data without a table view.
std::string data_document(const boost::json::value& value, output_format output);
/// Parses an --output value: table, json or yaml; else invalid_value.
output_format parse_output_format(const std::string& value);

/// The error line(s) for a request error: `raycl: error 404: ...`, or the document
/// {"error": {"status", "message"}} in JSON or YAML.
std::string format_error(int status, std::string_view message, output_format output);
/// The message and hint for a usage error (always text).
std::string format_usage_error(const usage_error& error);

/// A spinner frame: "⠋ 12s RUNNING" style text, ASCII only ("|/-\").
std::string spinner_line(std::size_t frame, std::chrono::steady_clock::duration elapsed, std::string_view what,
                         std::string_view status, bool colour);

}  // namespace raycl::cli
