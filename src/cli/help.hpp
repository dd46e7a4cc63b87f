// Help texts and the raycl(1) man page, generated from the command specs. Pure code.
#pragma once

#include "command_tree.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace raycl::cli {

/// `text` reflowed to `width` columns: paragraphs split on blank lines, lines starting with two
/// spaces kept as they are, every line after the first of a paragraph indented by `indent`.
std::string wrap_text(std::string_view text, std::size_t width, std::size_t indent = 0);

/// The usage after a command's path: its own `usage`, else generated ("[options] ID...").
std::string usage_of(const command_spec& spec);

/// The `--help` text of `level` (at most 80 columns): usage, description, commands, options,
/// footer and the global options of `root`.
std::string render_help(const command_spec& level, const command_spec& root);

/// raycl(1) in roff: every command with its options, the global options, exit status,
/// environment and files.
std::string render_manual_page(const command_spec& root);

}  // namespace raycl::cli
