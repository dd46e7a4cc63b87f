// Fuzzes error sanitization: core::sanitize and the error paths that build messages from
// server bodies (classify_status for error bodies, parse_json_body, transport_error).
// Input: cap byte (255 = no cap), form byte, token seed byte, then the text. A token (8-31
// alphanumerics, from the seed) is planted in the text at a position chosen by the form byte,
// in one of the forms sanitize.hpp promises to redact:
//  0 the raw token, passed as a known secret; 1 "Authorization: Bearer <t>"; 2 "token=<t>";
//  3 "\"password\": \"<t>\""; 4 "https://user:<t>@host/"; 5 "Cookie: a=<t>";
//  6 "X-Ray-Authorization: <t>"; 7 its first 8+ characters (cut by someone else), as a secret.
// Checked: the token (for known secrets, any run of its first 8 characters) never survives in
// any output; outputs stay within their caps (sanitize: max_length, "..." when cut; error
// body <= 2 KiB; summary line <= 300; request line <= 512); outputs are valid UTF-8 without
// control characters other than \n and \t.
#include "fuzz_support.hpp"

#include "core/requests.hpp"
#include "core/responses.hpp"
#include "core/sanitize.hpp"

#include <raycl/error.hpp>

using namespace raycl;

namespace {

constexpr std::size_t max_body_kept = 2048;    // responses.hpp: "<= 2 KiB"
constexpr std::size_t max_summary_line = 300;  // responses.cpp
constexpr std::size_t max_request_line = 512;  // responses.cpp

std::string make_token(std::uint8_t seed) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    raycl::fuzz::prng random(seed);
    std::string token = "t0";  // a letter and a digit: cannot come from "[REDACTED]" or "..."
    const std::size_t length = 8 + seed % 24;
    while (token.size() < length) token.push_back(alphabet[random.below(sizeof alphabet - 1)]);
    return token;
}

void check_clean(std::string_view out) {
    for (std::size_t i = 0; i < out.size();) {
        const auto c = static_cast<unsigned char>(out[i]);
        if (c < 0x80) {
            RAYCL_FUZZ_CHECK(!((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F));
            ++i;
            continue;
        }
        const std::size_t length = raycl::fuzz::well_formed_sequence(out, i);
        RAYCL_FUZZ_CHECK(length > 0);
        i += length;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    raycl::fuzz::input_view in(data, size);
    const std::uint8_t cap_byte = in.byte();
    const std::uint8_t form_byte = in.byte();
    const std::string token = make_token(in.byte());
    const std::string_view fuzz_text = in.rest();
    const int form = form_byte % 8;
    const bool known_secret = form == 0 || form == 7;
    // What must never survive: the token, or for a known secret any run of its first 8 chars.
    const std::string secret_run = known_secret ? token.substr(0, 8) : token;
    // Without a known secret only the planted occurrence is promised to go.
    if (!known_secret && fuzz_text.find(token) != std::string_view::npos) return 0;

    std::string planted;
    switch (form) {
        case 0:
            planted = token;
            break;
        case 1:
            planted = "\nAuthorization: Bearer " + token + "\n";
            break;
        case 2:
            planted = "\ntoken=" + token + "\n";
            break;
        case 3:
            planted = "\"password\": \"" + token + "\"";
            break;
        case 4:
            planted = "\nhttps://user:" + token + "@host/";
            break;
        case 5:
            planted = "\nCookie: a=" + token + "\n";
            break;
        case 6:
            planted = "\nX-Ray-Authorization: " + token + "\n";
            break;
        case 7:
            planted = token.substr(0, 8 + (form_byte >> 3) % (token.size() - 7));
            break;
    }
    const std::size_t at = fuzz_text.size() * (form_byte >> 3) / 32;
    std::string text(fuzz_text.substr(0, at));
    text += planted;
    text += fuzz_text.substr(at);
    const std::vector<std::string> secrets =
        known_secret ? std::vector<std::string>{token} : std::vector<std::string>{};
    auto no_secret = [&](std::string_view out) {
        RAYCL_FUZZ_CHECK(out.find(secret_run) == std::string_view::npos);
        check_clean(out);
    };

    const std::size_t cap = cap_byte == 255 ? std::string::npos : cap_byte * 3U;
    const std::string out = core::sanitize(text, secrets, cap);
    no_secret(out);
    if (cap != std::string::npos) {
        const std::string whole = core::sanitize(text, secrets, std::string::npos);
        RAYCL_FUZZ_CHECK(out.size() <= cap);
        if (whole.size() <= cap) {
            RAYCL_FUZZ_CHECK(out == whole);
        } else if (cap >= 3) {  // cut on a UTF-8 boundary, then "..."
            RAYCL_FUZZ_CHECK(out.ends_with("...") && out.size() + 3 >= cap);
            RAYCL_FUZZ_CHECK(whole.starts_with(std::string_view(out).substr(0, out.size() - 3)));
        }
    }

    // Error bodies: the server's answer to a failed request.
    const core::request_spec request = core::get_job_request("raycl-fuzz-1");
    const int status = 400 + (cap_byte % 200);
    const auto error = core::classify_status(request, status, text, secrets);
    RAYCL_FUZZ_CHECK(error.has_value());
    no_secret(error->message());
    no_secret(error->server_body());
    no_secret(error->request());
    RAYCL_FUZZ_CHECK(error->server_body().size() <= max_body_kept);
    RAYCL_FUZZ_CHECK(error->request().size() <= max_request_line);
    RAYCL_FUZZ_CHECK(error->message().size() <=
                     max_request_line + std::string_view(" failed: HTTP 599: ").size() + max_summary_line);
    RAYCL_FUZZ_CHECK(error->http_status() == status);

    try {
        core::parse_json_body(request, text, secrets);
    } catch (const client_error& e) {
        no_secret(e.message());
        no_secret(e.server_body());
        RAYCL_FUZZ_CHECK(e.server_body().size() <= max_body_kept);
    }

    const client_error lost = core::transport_error(request, core::transport_failure::connection_lost, text, secrets);
    no_secret(lost.message());
    RAYCL_FUZZ_CHECK(lost.message().size() <= max_request_line + 80 + max_summary_line);
    return 0;
}
