#include "core/sanitize.hpp"

#include "core/text.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <array>

namespace raycl::core {
namespace {

constexpr std::string_view redaction_marker = "[REDACTED]";

// Words in a header name that make its value a secret.
constexpr std::array<std::string_view, 7> sensitive_header_words{"auth", "token",    "cookie", "secret",
                                                                 "key",  "password", "session"};

// A secret cut by someone else (a server that shortened its message) still leaks if a long
// enough piece of it survives: pieces of at least this many leading characters are redacted.
constexpr std::size_t min_secret_prefix = 8;

// Identifiers whose value is a credential: matched as a suffix, so `api_key`,
// `ray-authentication-token`, `X-Ray-Authorization` and `Set-Cookie` are covered too.
constexpr std::array<std::string_view, 9> secret_key_suffixes{
    "token", "key", "password", "passwd", "secret", "credential", "credentials", "authorization", "cookie"};

// Header-like keys whose unquoted value runs to the end of the line ("Bearer x", "a=b; c=d").
constexpr std::array<std::string_view, 2> line_value_suffixes{"authorization", "cookie"};

bool is_identifier_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}

// Ends an unquoted value: whitespace, quotes and the delimiters of URLs, JSON, headers.
bool ends_unquoted_value(char c) noexcept {
    static constexpr std::string_view stops = " \t\r\n\"'\\,;&}])<>";
    return stops.find(c) != std::string_view::npos;
}

bool ends_with_any(std::string_view word, const auto& suffixes) noexcept {
    return std::any_of(suffixes.begin(), suffixes.end(),
                       [&](std::string_view suffix) { return word.ends_with(suffix); });
}

// Which bytes of the original text are secret; rules mark independently, overlaps merge.
// Marks are kept as ranges and merged once, so overlapping marks (many keys whose values run
// to the same line end) cost O(1) each instead of a fill each.
class redaction_mask {
public:
    explicit redaction_mask(std::size_t size) : size_(size) {}
    void mark(std::size_t begin, std::size_t end) {
        end = std::min(end, size_);
        if (begin < end) ranges_.emplace_back(begin, end);
    }
    /// The marked ranges, sorted and merged.
    std::vector<std::pair<std::size_t, std::size_t>> merged() {
        std::sort(ranges_.begin(), ranges_.end());
        std::vector<std::pair<std::size_t, std::size_t>> out;
        for (const auto& range : ranges_) {
            if (!out.empty() && range.first <= out.back().second)
                out.back().second = std::max(out.back().second, range.second);
            else
                out.push_back(range);
        }
        return out;
    }

private:
    std::size_t size_;
    std::vector<std::pair<std::size_t, std::size_t>> ranges_;
};

// The first position at or after `pos` whose byte satisfies `stops` (or text.size()),
// remembering the last stop-free stretch so repeated searches from inside it are O(1): keeps
// text with many keys whose values share one stop linear.
class stop_finder {
public:
    stop_finder(std::string_view text, bool (*stops)(char) noexcept) : text_(text), stops_(stops) {}
    std::size_t operator()(std::size_t pos) {
        if (from_ <= pos && pos <= end_) return end_;
        std::size_t end = pos;
        while (end < text_.size() && !stops_(text_[end])) ++end;
        from_ = pos;
        end_ = end;
        return end;
    }

private:
    std::string_view text_;
    bool (*stops_)(char) noexcept;
    std::size_t from_ = std::string_view::npos;
    std::size_t end_ = 0;
};

bool ends_line(char c) noexcept {
    return c == '\r' || c == '\n';
}

void mark_known_secrets(std::string_view text, const std::vector<std::string>& secrets, redaction_mask& mask) {
    for (const std::string& secret : secrets) {
        if (secret.empty()) continue;
        for (std::size_t i = text.find(secret.front()); i != std::string_view::npos;
             i = text.find(secret.front(), i + 1)) {
            std::size_t length = 0;
            while (length < secret.size() && i + length < text.size() && text[i + length] == secret[length]) ++length;
            if (length == secret.size() || length >= min_secret_prefix) mask.mark(i, i + length);
        }
    }
}

// The value after position `pos` (quoted, to end of line, or up to a delimiter); returns
// its [begin, end) or an empty range.
struct value_finder {
    std::string_view text;
    stop_finder line_end{text, ends_line};
    stop_finder unquoted_end{text, ends_unquoted_value};

    std::pair<std::size_t, std::size_t> operator()(std::size_t pos, bool runs_to_line_end) {
        if (pos >= text.size()) return {pos, pos};
        if (text[pos] == '\\' && pos + 1 < text.size() && text[pos + 1] == '"') {
            // A JSON document embedded in a JSON string: \"token\": \"value\".
            std::size_t begin = pos + 2;
            std::size_t end = text.find_first_of("\\\"", begin);
            return {begin, end == std::string_view::npos ? text.size() : end};
        }
        if (text[pos] == '"' || text[pos] == '\'') {
            std::size_t begin = pos + 1;
            std::size_t end = begin;
            while (end < text.size() && text[end] != text[pos]) end += text[end] == '\\' ? 2 : 1;
            return {begin, std::min(end, text.size())};
        }
        return {pos, runs_to_line_end ? line_end(pos) : unquoted_end(pos)};
    }
};

// `Bearer x`, `Basic x`, and `<secret key><quote?> [=:] <value>` in every spelling.
void mark_credentials_and_secret_values(std::string_view text, redaction_mask& mask) {
    value_finder value_at{text};
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_identifier_char(text[i])) {
            ++i;
            continue;
        }
        std::size_t begin = i;
        while (i < text.size() && is_identifier_char(text[i])) ++i;
        std::string word(text.substr(begin, i - begin));
        std::transform(word.begin(), word.end(), word.begin(), ascii_lower);

        std::size_t pos = i;
        if (word == "bearer" || word == "basic") {
            while (pos < text.size() && is_blank(text[pos])) ++pos;
            if (pos == i) continue;
            auto [value_begin, value_end] = value_at(pos, false);
            mask.mark(value_begin, value_end);
            continue;
        }
        if (!ends_with_any(word, secret_key_suffixes)) continue;
        if (pos < text.size() && text[pos] == '\\' && pos + 1 < text.size() && text[pos + 1] == '"')
            pos += 2;
        else if (pos < text.size() && (text[pos] == '"' || text[pos] == '\''))
            ++pos;
        while (pos < text.size() && is_blank(text[pos])) ++pos;
        if (pos >= text.size() || (text[pos] != '=' && text[pos] != ':')) continue;
        ++pos;
        // The value may sit on the next line (pretty-printed JSON, YAML).
        while (pos < text.size() && (is_blank(text[pos]) || text[pos] == '\r' || text[pos] == '\n')) ++pos;
        auto [value_begin, value_end] = value_at(pos, ends_with_any(word, line_value_suffixes));
        mask.mark(value_begin, value_end);
    }
}

// scheme://user:password@host -> the password; scheme://credential@host -> the credential.
void mark_url_user_info(std::string_view text, redaction_mask& mask) {
    for (std::size_t at = text.find("://"); at != std::string_view::npos; at = text.find("://", at + 3)) {
        std::size_t begin = at + 3;
        std::size_t end = text.find_first_of("/?# \t\r\n\"'<>\\", begin);
        if (end == std::string_view::npos) end = text.size();
        std::size_t user_info_end = text.substr(begin, end - begin).rfind('@');
        if (user_info_end == std::string_view::npos || user_info_end == 0) continue;
        user_info_end += begin;
        std::size_t colon = text.substr(begin, user_info_end - begin).find(':');
        std::size_t secret_begin = colon == std::string_view::npos ? begin : begin + colon + 1;
        mask.mark(secret_begin, user_info_end);
    }
}

// Control characters (except \n, \t) and bytes that are not UTF-8 become '?', so a message
// cannot forge log lines or carry terminal escapes.
void replace_unprintable(std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) text[i] = '?';
            ++i;
            continue;
        }
        std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            text[i] = '?';
            length = 1;
        }
        i += length;
    }
}

}  // namespace

std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return out;
}

std::string sanitize(std::string_view text, const std::vector<std::string>& secrets, std::size_t max_length) {
    // Redact on the whole text first: cutting first could leave a secret's prefix behind.
    redaction_mask mask(text.size());
    mark_known_secrets(text, secrets, mask);
    mark_credentials_and_secret_values(text, mask);
    mark_url_user_info(text, mask);

    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;
    for (const auto& [begin, end] : mask.merged()) {
        out.append(text.substr(copied, begin - copied));
        out.append(redaction_marker);
        copied = end;
    }
    out.append(text.substr(copied));
    replace_unprintable(out);

    if (out.size() > max_length) {
        constexpr std::string_view ellipsis = "...";
        std::size_t keep = max_length >= ellipsis.size() ? max_length - ellipsis.size() : max_length;
        while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80) --keep;
        out.resize(keep);
        if (max_length >= ellipsis.size()) out.append(ellipsis);
    }
    return out;
}

std::vector<std::string> secrets_of(const client_options& options) {
    std::vector<std::string> secrets;
    if (!options.token.empty()) secrets.push_back(options.token);
    for (const auto& [name, value] : options.cookies) {
        if (!value.empty()) secrets.push_back(value);
    }
    for (const auto& [name, value] : options.headers) {
        if (value.empty()) continue;
        const std::string lower = to_lower(name);
        const bool sensitive =
            std::any_of(sensitive_header_words.begin(), sensitive_header_words.end(),
                        [&](std::string_view word) { return lower.find(word) != std::string::npos; });
        if (!sensitive) continue;
        secrets.push_back(value);
        if (auto space = value.find(' '); space != std::string::npos && space + 1 < value.size())
            secrets.push_back(value.substr(space + 1));
    }
    return secrets;
}

}  // namespace raycl::core
