// Hand-written Boost.JSON decoders of the state API beyond nodes, tasks and actors, of its
// summaries, of the cluster status and of the log file list (pure). Same rules as
// core/models_json.hpp: a present field of the wrong type or a missing required one is a
// client_error protocol_error (500) naming it; unknown keys are ignored; null == missing.
// Required: the id of object, placement group, worker and cluster event rows; the summary
// object of a summary; the text of the formatted cluster status.
#pragma once

#include <raycl/logs.hpp>
#include <raycl/state.hpp>

#include <boost/json/value.hpp>

#include <string>

namespace raycl::core {

// Rows (each keeps its object as `raw`: taken by value so a parsed row is moved, not copied).
object_info decode_object(boost::json::value row);
placement_group_info decode_placement_group(boost::json::value row);
worker_info decode_worker(boost::json::value row);
runtime_env_info decode_runtime_env(boost::json::value row);
cluster_event_info decode_cluster_event(boost::json::value row);

// Summaries: the state envelope around {"node_id_to_summary": {"cluster": <summary>}}.
task_summary decode_task_summary(boost::json::value body);
actor_summary decode_actor_summary(boost::json::value body);
object_summary decode_object_summary(boost::json::value body);

/// `GET /api/cluster_status?format=1`: {"result", "msg", "data": {"clusterStatus": "<text>"}}.
std::string decode_cluster_status_text(const boost::json::value& body);
/// `GET /api/cluster_status`: {"result", "msg", "data": {"autoscalingStatus", "autoscalingError",
/// "clusterStatus": <report or null>}}, into `status` (its `text` is left alone). The report's
/// camelCase keys are decoded and the resource and node-type names Ray camelCased are restored
/// from the report's own unconverted lists (`nodeTypes`, `nodeTypeMapping`).
void decode_cluster_status(boost::json::value body, cluster_status& status);

/// Ray's `to_camel_case` (dashboard/utils.py): split at '_', the first part as it is, every other
/// part title-cased as Python's str.title() does for ASCII ("4fa3" -> "4Fa3").
std::string ray_camel_case(std::string_view name);

/// `GET /api/v0/logs`: {"result", "msg", "data": {"result": {category: [file, ...]}}}.
log_file_list decode_log_file_list(boost::json::value body);

}  // namespace raycl::core
