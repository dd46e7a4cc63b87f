// Helpers of the unit tests that drive core::tail_machine directly (tail_machine_tests.cpp,
// log_targets_tests.cpp): events in, actions out, no socket, no clock.
#pragma once

#include "core/tail_machine.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace raycl::test {

/// Text of the lines the machine delivers now, "\n" after each line that had one.
inline std::string text_of(core::tail_machine& machine) {
    std::vector<log_line> lines;
    machine.take_lines(lines);
    std::string text;
    for (const auto& line : lines) text += line.text + (line.newline ? "\n" : "");
    return text;
}

/// Takes and acknowledges what the machine delivers until it asks for something else.
inline core::tail_machine::action deliver_all(core::tail_machine& machine, core::tail_machine::action action,
                                              std::string& delivered) {
    while (action.next == core::tail_machine::step::deliver) {
        delivered += text_of(machine);
        action = machine.on_delivered();
    }
    return action;
}

/// Feeds a chunk and, when the machine delivers, takes the lines and acknowledges them.
inline core::tail_machine::action feed(core::tail_machine& machine, std::string_view data, std::string& delivered) {
    return deliver_all(machine, machine.on_chunk(data), delivered);
}

/// Completes from a static log: fetch, then deliver until done.
inline core::tail_machine::action complete_with(core::tail_machine& machine, std::string_view static_log,
                                                std::string& delivered) {
    return deliver_all(machine, machine.on_static_log(static_log), delivered);
}

}  // namespace raycl::test
