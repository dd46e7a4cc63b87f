// Ray 2.60's state-API resources as data (pure): their routes, id columns and the columns Ray
// can filter them on, plus the request builders of the summaries and of the cluster status.
// Filters are checked against this table before any I/O, so a typo is a 400 that lists the
// supported columns instead of a round trip (or, for /api/v0/jobs, Ray's bare 500).
#pragma once

#include "core/requests.hpp"

#include <raycl/models.hpp>
#include <raycl/state.hpp>

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace raycl::core {

/// One resource of `GET /api/v0/{route}`.
struct state_resource_info {
    std::string_view route;     ///< "placement_groups"
    std::string_view row_name;  ///< "placement group", for messages
    std::string_view id_key;    ///< "placement_group_id"; empty when rows have no id (runtime envs)
    std::span<const std::string_view> filter_columns;  ///< sorted, as Ray 2.60's schema declares them
    bool pushes_down_filters;  ///< some filters run at the source before its 10,000-row cut (tasks, actors, nodes)
};

/// The resource of this route ("tasks", "cluster_events", ...), or nullptr.
const state_resource_info* find_state_resource(std::string_view route) noexcept;

/// The resource of this route; 400 for a name that is not one.
const state_resource_info& state_resource(std::string_view route);

/// 400 "<column> is not a column Ray can filter <rows> on; supported: a, b, c" for the first
/// filter whose key is not one of the resource's filterable columns (keys are exact: Ray's
/// server compares them as they are).
void validate_filter_columns(const state_resource_info& resource, const std::vector<list_filter>& filters);

/// GET /api/v0/{tasks,actors,objects}/summarize?[summary_by=..&]timeout=..&filters. `by` only for tasks.
request_spec state_summary_request(std::string_view resource, const summary_options& options,
                                   std::optional<task_summary_by> by = std::nullopt);

/// GET /api/cluster_status (the structured form) or /api/cluster_status?format=1 (`ray status`'s text).
request_spec cluster_status_request(bool formatted);

}  // namespace raycl::core
