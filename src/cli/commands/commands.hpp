// The command groups of the raycl CLI. Each file defines its commands on the command tree
// (flags, help, validation) and runs them; registry.cpp lists the groups.
//
// A new group (e.g. `raycl logs`, `raycl status`) is one file here with a define_* function,
// plus one line in registry.cpp.
#pragma once

#include "command_tree.hpp"

#include <raycl/runtime_env.hpp>

namespace raycl::cli {

void define_job_commands(command_tree& tree, command& cmd);         // jobs.cpp (logs: job_logs.cpp)
void define_state_commands(command_tree& tree, command& cmd);       // state.cpp: node, task, actor
void define_version_command(command_tree& tree, command& cmd);      // state.cpp: version
void define_serve_commands(command_tree& tree, command& cmd);       // serve.cpp
void define_cluster_commands(command_tree& tree, command& cmd);     // cluster.cpp: cluster up/down
void define_context_commands(command_tree& tree, command& cmd);     // context.cpp
void define_completion_commands(command_tree& tree, command& cmd);  // completion.cpp (+ __complete, __manpage)
void define_logs_commands(command_tree& tree, command& cmd);        // logs.cpp: logs cluster|job|task|actor|worker
void define_status_command(command_tree& tree, command& cmd);       // status.cpp: status
void define_query_commands(command_tree& tree, command& cmd);       // queries.cpp: list, get, summary

/// Packaging settings of `job submit` and `serve deploy` (jobs.cpp): conda YAML files read
/// with core/yaml_json and, when `progress`, a progress line on stderr.
packaging_options cli_packaging(bool progress);

/// --watch and --interval of a list command (jobs.cpp; also node list).
void add_watch_flags(command_tree& tree, command_tree::node list, command& cmd);

}  // namespace raycl::cli
