// Help texts and the man page (see help.hpp).
#include "help.hpp"

#include "text.hpp"

#include <raycl/version.hpp>

#include <algorithm>

namespace raycl::cli {
namespace {

constexpr std::size_t help_width = 80;

/// Rows of a two-column list: "  name   text", the text wrapped under itself.
std::string two_columns(const std::vector<std::pair<std::string, std::string>>& rows) {
    std::size_t name_width = 0;
    for (const auto& [name, text] : rows) name_width = std::max(name_width, name.size());
    name_width = std::min<std::size_t>(name_width, 24);
    const std::size_t column = 2 + name_width + 2;
    std::string out;
    for (const auto& [name, text] : rows) {
        std::string line = "  " + name;
        if (name.size() > name_width) {
            out += line + "\n";
            line = std::string(column, ' ');
        } else {
            line += std::string(column - line.size(), ' ');
        }
        const std::string body = wrap_text(text, help_width - column, 0);
        for (const auto row : split_lines(body)) {
            out += line + std::string(row) + "\n";
            line = std::string(column, ' ');
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> option_rows(const command_spec& spec) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& option : spec.options) rows.emplace_back(option.synopsis(), option.help);
    return rows;
}

std::vector<const command_spec*> visible_children(const command_spec& spec) {
    std::vector<const command_spec*> out;
    for (const auto& child : spec.children) {
        if (!child.hidden) out.push_back(&child);
    }
    return out;
}

std::string roff_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    return out;
}

/// Text as roff lines: a line starting with '.' or '\'' is protected, blank lines become .PP,
/// lines starting with two spaces are kept in no-fill mode.
std::string roff_text(std::string_view text) {
    std::string out;
    bool verbatim = false;
    for (const auto line : split_lines(text)) {
        const bool kept = line.substr(0, 2) == "  ";
        if (kept != verbatim) {
            out += kept ? ".nf\n" : ".fi\n";
            verbatim = kept;
        }
        if (trim(line).empty()) {
            out += verbatim ? "\n" : ".PP\n";
            continue;
        }
        std::string escaped = roff_escape(line);
        if (escaped[0] == '.' || escaped[0] == '\'') escaped = "\\&" + escaped;
        out += escaped + "\n";
    }
    if (verbatim) out += ".fi\n";
    return out;
}

void roff_options(std::string& out, const command_spec& spec) {
    for (const auto& option : spec.options) {
        out += ".TP\n.B " + roff_escape(option.synopsis()) + "\n" + roff_text(option.help);
    }
}

void roff_commands(std::string& out, const command_spec& spec) {
    for (const auto* child : visible_children(spec)) {
        if (child->is_command) {
            std::string usage = usage_of(*child);
            std::replace(usage.begin(), usage.end(), '\n', ' ');
            out += ".SS \"" + roff_escape(child->path + " " + usage) + "\"\n";
            out += roff_text(child->description.empty() ? child->summary : child->description);
            roff_options(out, *child);
        }
        roff_commands(out, *child);
    }
}

}  // namespace

std::string wrap_text(std::string_view text, std::size_t width, std::size_t indent) {
    std::string out, line;
    bool first_of_paragraph = true;
    auto flush = [&] {
        if (line.empty()) return;
        out += line + "\n";
        line.clear();
        first_of_paragraph = false;
    };
    for (const auto raw : split_lines(text)) {
        if (raw.substr(0, 2) == "  ") {  // kept as it is
            flush();
            out += std::string(raw) + "\n";
            continue;
        }
        if (trim(raw).empty()) {
            flush();
            out += "\n";
            first_of_paragraph = true;
            continue;
        }
        for (std::size_t start = raw.find_first_not_of(' '); start != std::string_view::npos;
             start = raw.find_first_not_of(' ', start)) {
            const auto end = std::min(raw.find(' ', start), raw.size());
            const std::string_view word = raw.substr(start, end - start);
            if (!line.empty() && line.size() + 1 + word.size() > width) flush();
            if (line.empty())
                line = std::string(first_of_paragraph ? 0 : indent, ' ') + std::string(word);
            else
                line += " " + std::string(word);
            start = end;
        }
    }
    flush();
    return out;
}

std::string usage_of(const command_spec& spec) {
    if (!spec.usage.empty()) return spec.usage;
    std::string out;
    if (!spec.options.empty()) out = "[options]";
    if (spec.positional) {
        const auto& p = *spec.positional;
        std::string word = p.name + (p.max > 1 ? "..." : "");
        if (p.min == 0) word = "[" + word + "]";
        out += (out.empty() ? "" : " ") + word;
    }
    if (spec.accepts_entrypoint) out += (out.empty() ? "" : " ") + std::string("-- ENTRYPOINT...");
    return out;
}

std::string render_help(const command_spec& level, const command_spec& root) {
    // A usage of several lines: the first follows the path, the others are whole ("raycl x y").
    std::string out = "Usage: " + level.path;
    const auto usage = usage_of(level);
    const auto usage_lines = split_lines(usage);
    for (std::size_t i = 0; i < usage_lines.size(); ++i)
        out += (i == 0 ? " " : "\n       ") + std::string(usage_lines[i]);
    out += "\n";
    if (!level.description.empty()) out += "\n" + wrap_text(level.description, help_width);
    if (const auto children = visible_children(level); !children.empty()) {
        std::vector<std::pair<std::string, std::string>> rows;
        for (const auto* child : children) rows.emplace_back(child->name, child->summary);
        out += "\nCommands:\n" + two_columns(rows);
    }
    if (&level != &root && !level.options.empty()) out += "\nOptions:\n" + two_columns(option_rows(level));
    if (!level.footer.empty()) out += "\n" + wrap_text(level.footer, help_width);
    out += "\nGlobal options:\n" + two_columns(option_rows(root));
    return out;
}

std::string render_manual_page(const command_spec& root) {
    const std::string version = raycl::version_string;
    std::string out = ".TH RAYCL 1 \"\" \"raycl " + version + "\" \"User Commands\"\n";
    out += ".SH NAME\nraycl \\- command\\-line client of the Ray dashboard API\n";
    out += ".SH SYNOPSIS\n.B raycl\n" + roff_escape(usage_of(root)) + "\n";
    out += ".SH DESCRIPTION\n" + roff_text(root.description);
    out += ".SH COMMANDS\n";
    roff_commands(out, root);
    out += ".SH GLOBAL OPTIONS\n";
    roff_options(out, root);
    out += ".SH EXIT STATUS\n" + roff_text(root.footer);
    out += ".SH ENVIRONMENT\n";
    const std::pair<const char*, const char*> variables[] = {
        {"RAY_ADDRESS", "dashboard URL when --address is not given"},
        {"RAY_AUTH_TOKEN", "bearer token when --token is not given"},
        {"RAY_AUTH_TOKEN_PATH", "file holding the bearer token"},
        {"RAYCL_CONTEXT", "context to use when --context is not given"},
        {"XDG_CONFIG_HOME", "directory of raycl/config.yaml (default ~/.config)"},
        {"NO_COLOR", "when set and not empty, no colour on a terminal"},
    };
    for (const auto& [name, text] : variables) out += ".TP\n.B " + roff_escape(name) + "\n" + roff_text(text);
    out += ".SH FILES\n.TP\n.B $XDG_CONFIG_HOME/raycl/config.yaml\n";
    out += "Named contexts (raycl context \\-\\-help); written with mode 0600, tokens only by reference.\n";
    return out;
}

}  // namespace raycl::cli
