// What `--watch` prints: frames redrawn in place on a terminal, changes only on a pipe. Pure.
#pragma once

#include "format.hpp"

#include <boost/json/array.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::cli {

/// A row that appeared, changed or disappeared between two listings.
struct watch_change {
    enum class kind { added, modified, deleted };
    kind type = kind::added;
    std::string key;
    std::size_t row = 0;  ///< index in the current listing (added, modified), or the previous (deleted)
};

/// "ADDED", "MODIFIED", "DELETED" (the names of Kubernetes watch events).
const char* to_string(watch_change::kind kind) noexcept;

/// The changes from `previous` to `current` (rows identified by `keys`; `rows` compared, in
/// order of `current`, then the deleted ones). `previous_keys` empty means everything is added.
std::vector<watch_change> watch_changes(const std::vector<std::string>& previous_keys,
                                        const std::vector<std::string>& previous_rows,
                                        const std::vector<std::string>& keys, const std::vector<std::string>& rows);

/// The bytes that replace the frame drawn before (`previous_lines` lines, the cursor below it)
/// with `frame`, cut to `height - 1` lines so it never scrolls; `drawn_lines` gets its height.
std::string redraw_frame(std::string_view frame, std::size_t previous_lines, std::size_t height,
                         std::size_t& drawn_lines);

}  // namespace raycl::cli
