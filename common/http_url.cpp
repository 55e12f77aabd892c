#include "common/http_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace progressd {
namespace {

bool printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::optional<http_target> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.size() > max_http_url_length || url.size() <= scheme.size() || !printable_ascii(url)) return std::nullopt;
    std::string lowered_scheme(url.substr(0, scheme.size()));
    std::transform(lowered_scheme.begin(), lowered_scheme.end(), lowered_scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lowered_scheme != scheme) return std::nullopt;
    url.remove_prefix(scheme.size());
    const auto path_at = url.find_first_of("/?#");
    std::string_view authority = url.substr(0, path_at);
    std::string_view rest = path_at == std::string_view::npos ? std::string_view() : url.substr(path_at);
    if (const auto fragment = rest.find('#'); fragment != std::string_view::npos) rest = rest.substr(0, fragment);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo

    http_target target;
    target.port = "80";
    if (authority.front() == '[') {  // an IPv6 literal
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        target.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') return std::nullopt;
    } else {
        const auto colon = authority.find(':');
        target.host = std::string(authority.substr(0, colon));
        authority = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    }
    if (!authority.empty()) {  // ":port"
        const auto digits = authority.substr(1);
        unsigned port = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
            return std::nullopt;
        }
        target.port = std::to_string(port);
    }
    if (target.host.empty()) return std::nullopt;
    target.target = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
    return target;
}

}  // namespace progressd
