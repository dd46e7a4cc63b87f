// What `--watch` prints (see watch_view.hpp).
#include "watch_view.hpp"

#include "text.hpp"

#include <map>

namespace raycl::cli {

const char* to_string(watch_change::kind kind) noexcept {
    switch (kind) {
        case watch_change::kind::added:
            return "ADDED";
        case watch_change::kind::modified:
            return "MODIFIED";
        case watch_change::kind::deleted:
            return "DELETED";
    }
    return "MODIFIED";
}

std::vector<watch_change> watch_changes(const std::vector<std::string>& previous_keys,
                                        const std::vector<std::string>& previous_rows,
                                        const std::vector<std::string>& keys, const std::vector<std::string>& rows) {
    std::map<std::string_view, std::size_t> before;
    for (std::size_t i = 0; i < previous_keys.size(); ++i) before[previous_keys[i]] = i;
    std::map<std::string_view, bool> now;
    std::vector<watch_change> changes;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        now[keys[i]] = true;
        const auto it = before.find(keys[i]);
        if (it == before.end())
            changes.push_back({watch_change::kind::added, keys[i], i});
        else if (previous_rows[it->second] != rows[i])
            changes.push_back({watch_change::kind::modified, keys[i], i});
    }
    for (std::size_t i = 0; i < previous_keys.size(); ++i) {
        if (!now.count(previous_keys[i])) changes.push_back({watch_change::kind::deleted, previous_keys[i], i});
    }
    return changes;
}

std::string redraw_frame(std::string_view frame, std::size_t previous_lines, std::size_t height,
                         std::size_t& drawn_lines) {
    std::string out;
    if (previous_lines > 0) out = "\033[" + std::to_string(previous_lines) + "A\r\033[J";
    drawn_lines = 0;
    for (const auto line : split_lines(frame)) {
        if (drawn_lines + 1 >= height) break;
        out += std::string(line) + "\n";
        ++drawn_lines;
    }
    return out;
}

}  // namespace raycl::cli
