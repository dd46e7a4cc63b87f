// Parsing of the raycl command line (see args.hpp): the registry's command tree on CLI11.
#include "args.hpp"

#include "command_tree.hpp"
#include "help.hpp"

namespace raycl::cli {

command parse_command_line(const std::vector<std::string>& args) {
    command cmd;
    command_tree tree(cmd);
    define_commands_for(tree, cmd, args);
    tree.parse(args);
    return cmd;
}

std::string top_level_help() {
    return render_help(command_specs(), command_specs());
}

std::string join_entrypoint(const std::vector<std::string>& words) {
    if (words.size() == 1) return words[0];
    std::string out;
    for (const auto& word : words) {
        if (!out.empty()) out += ' ';
        const bool safe =
            !word.empty() &&
            word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%") ==
                std::string::npos;
        if (safe) {
            out += word;
            continue;
        }
        out += '\'';
        for (char c : word) {
            if (c == '\'')
                out += "'\\''";
            else
                out += c;
        }
        out += '\'';
    }
    return out;
}

}  // namespace raycl::cli
