#include "server/request_head.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace progressd {
namespace {

namespace http = boost::beast::http;

constexpr std::size_t max_length_digits = 15;

// Character classes as one table: the loops below are the whole cost of a head.
enum char_class : std::uint8_t {
    token_char = 1,    // RFC 9110 tchar
    visible_char = 2,  // VCHAR, without obs-text (bytes >= 0x80 are left to Beast)
    value_char = 4,    // VCHAR, SP, HTAB
};

constexpr auto classes = [] {
    std::array<std::uint8_t, 256> table{};
    for (int c = 0x21; c < 0x7f; ++c) table[static_cast<std::size_t>(c)] = visible_char | value_char;
    table[' '] = value_char;
    table['\t'] = value_char;
    for (const char c : std::string_view("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
        table[static_cast<unsigned char>(c)] |= token_char;
    }
    return table;
}();

bool is(char c, char_class which) { return (classes[static_cast<unsigned char>(c)] & which) != 0; }

// `name` compared with a lower-case literal, ignoring ASCII case.
bool iequals(std::string_view name, std::string_view lower) {
    if (name.size() != lower.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower[i]) return false;
    }
    return true;
}

bool parse_length(std::string_view value, std::size_t& out) {
    if (value.empty() || value.size() > max_length_digits) return false;
    std::size_t number = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return false;
        number = number * 10 + static_cast<std::size_t>(c - '0');
    }
    out = number;
    return true;
}

// Skips VCHAR (plus SP and HTAB when `blanks`) 16 bytes at a time, stopping at the first other
// byte; within the last 16 bytes the caller's table loop takes over. Values and targets are most
// of a head's bytes (a bearer token alone is hundreds), hence SSE2, which every x86-64 has.
const char* skip_printable(const char* p, const char* end, bool blanks) {
#if defined(__SSE2__)
    const __m128i below_visible = _mm_set1_epi8(blanks ? 0x1f : 0x20);
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i tab = _mm_set1_epi8('\t');
    while (end - p >= 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // Signed bytes: obs-text (>= 0x80) is negative, so it fails the first comparison too.
        const __m128i in_range = _mm_andnot_si128(_mm_cmpeq_epi8(bytes, del), _mm_cmpgt_epi8(bytes, below_visible));
        const __m128i allowed = blanks ? _mm_or_si128(in_range, _mm_cmpeq_epi8(bytes, tab)) : in_range;
        const auto mask = static_cast<unsigned>(_mm_movemask_epi8(allowed));
        if (mask != 0xffff) return p + std::countr_one(mask);
        p += 16;
    }
#else
    (void)end;
    (void)blanks;
#endif
    return p;
}

// One forward pass; `p` never passes `end`.
class head_reader {
public:
    head_reader(const char* begin, const char* end) : p_(begin), end_(end) {}

    const char* position() const { return p_; }
    bool take(char c) {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    bool take(std::string_view text) {
        if (static_cast<std::size_t>(end_ - p_) < text.size() || std::string_view(p_, text.size()) != text) return false;
        p_ += text.size();
        return true;
    }
    // The longest run of `which` characters (possibly empty).
    std::string_view run(char_class which) {
        const char* start = p_;
        const char* p = which == token_char ? p_ : skip_printable(p_, end_, which == value_char);
        while (p != end_ && is(*p, which)) ++p;  // the rest, or all of a (short) token
        p_ = p;
        return {start, static_cast<std::size_t>(p - start)};
    }
    bool at_blank_line() const { return end_ - p_ >= 2 && p_[0] == '\r' && p_[1] == '\n'; }

private:
    const char* p_;
    const char* end_;
};

// "METHOD SP origin-form SP HTTP/1.x CRLF"
bool request_line(head_reader& in, simple_head& out) {
    const std::string_view method = in.run(token_char);
    if (method.empty() || !in.take(' ')) return false;
    out.method = http::string_to_verb(method);
    if (out.method == http::verb::unknown) return false;
    out.target = in.run(visible_char);
    if (out.target.empty() || out.target.front() != '/' || !in.take(' ')) return false;
    if (in.take("HTTP/1.1\r\n")) {
        out.version = 11;
    } else if (in.take("HTTP/1.0\r\n")) {
        out.version = 10;
    } else {
        return false;
    }
    return true;
}

// "name: OWS value OWS CRLF", the name a token directly before the colon (no obs-fold: a line
// starting with whitespace is no token).
bool field_line(head_reader& in, simple_head& out, bool& has_length) {
    const std::string_view name = in.run(token_char);
    if (name.empty() || !in.take(':')) return false;
    std::string_view value = in.run(value_char);
    if (!in.take("\r\n")) return false;  // a lone CR, a bare LF, a control character: Beast decides
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    switch (name.size()) {  // only these names change how the message is framed or kept
        case 10:
        case 16:
            // Beast checks these as token lists; the two plain values are all a client normally sends.
            if ((iequals(name, "connection") || iequals(name, "proxy-connection")) && !iequals(value, "keep-alive") &&
                !iequals(value, "close")) {
                return false;
            }
            break;
        case 14:
            if (iequals(name, "content-length")) {
                if (has_length || !parse_length(value, out.content_length)) return false;
                has_length = true;
            }
            break;
        case 17:
            if (iequals(name, "transfer-encoding")) return false;  // chunked bodies and refusals: Beast's job
            break;
        default: break;
    }
    if (out.field_count == out.fields.size()) return false;
    out.fields[out.field_count++] = {name, value};
    return true;
}

}  // namespace

bool scan_request_head(std::string_view bytes, std::size_t header_limit, simple_head& out) {
    out.field_count = 0;
    out.content_length = 0;
    // Only heads shorter than the limit: Beast rejects the rest with 431.
    const std::size_t window = std::min(bytes.size(), header_limit == 0 ? 0 : header_limit - 1);
    head_reader in(bytes.data(), bytes.data() + window);
    if (!request_line(in, out)) return false;
    bool has_length = false;
    while (!in.at_blank_line()) {
        if (!field_line(in, out, has_length)) return false;
    }
    out.head_bytes = static_cast<std::size_t>(in.position() - bytes.data()) + 2;
    return true;
}

void build_request(const simple_head& head, std::string_view body, http_request& out) {
    out.reset(head.method, head.target, head.version);
    for (std::size_t i = 0; i < head.field_count; ++i) out.add_field(head.fields[i].first, head.fields[i].second);
    out.set_body(body);
    // Beast reads the first Connection field as a token list; the scanner admits only the two
    // plain values, which decide alone.
    const std::string_view connection = out[http::field::connection];
    if (!connection.empty()) out.set_keep_alive(iequals(connection, "keep-alive"));
}

}  // namespace progressd
