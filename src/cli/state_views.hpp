// What `raycl list|get|summary|status|logs` show, as pure code: Ray's state resources by their
// CLI names (`placement-groups`), their default columns, filters as `ray list` reads them, the
// tables of rows and summaries, and the text of a node's log files. No I/O, no Asio.
#pragma once

#include "format.hpp"

#include <raycl/logs.hpp>
#include <raycl/models.hpp>
#include <raycl/state.hpp>

#include <boost/json/array.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::cli {

/// One resource of `ray list` / `ray get`.
struct state_noun {
    std::string_view name;    ///< as the CLI spells it: "placement-groups"
    std::string_view id_key;  ///< the column `get` filters on; empty when there is no get (jobs, runtime-envs)
    std::span<const std::string_view> columns;  ///< Ray 2.60's default columns (`list_columns(detail=False)`)
};

/// Every resource, in `ray list`'s order.
std::span<const state_noun> state_nouns();
/// The resource named `name`, or nullptr.
const state_noun* find_state_noun(std::string_view name);
/// The names of the resources (`gettable`: only those `get` takes).
std::vector<std::string> state_noun_names(bool gettable);

/// "KEY=VALUE" or "KEY!=VALUE" (split at the first `!=` or `=`); else invalid_value.
list_filter parse_filter(const std::string& text);
/// parse_filter with the key in lower case, as `ray list --filter` matches keys.
list_filter parse_state_filter(const std::string& text);

/// A table of raw rows with these columns (a cell: the value as text, objects and arrays as
/// compact JSON, "-" for null or missing).
table rows_table(const boost::json::array& rows, std::span<const std::string_view> columns);

/// A task summary: by name (one row per function with its state counts), or the lineage tree.
std::string render_task_summary(const task_summary& summary, std::size_t width);
/// An actor summary: one row per class with its state counts.
std::string render_actor_summary(const actor_summary& summary, std::size_t width);
/// An object summary: one row per call site.
std::string render_object_summary(const object_summary& summary, std::size_t width);

/// `ray logs cluster`'s listing: "Node ID: X" (or "Node IP: Y"), then the categories as YAML.
std::string render_log_files(const log_file_list& files);

/// What `ray logs` prints before a tail of `lines` lines (raycl prints it on stderr).
std::string log_truncation_note(std::int64_t lines);

}  // namespace raycl::cli
