#include "handlers/json/flat_json.hpp"

#include <array>
#include <bit>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace progressd {
namespace {

constexpr std::size_t max_exact_digits = 15;  // 10^15 < 2^53: every such mantissa is an exact double
constexpr std::size_t max_exponent_digits = 4;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Printable ASCII but the quote and the backslash: a table, because this loop is most of the scan.
constexpr auto plain_string_chars = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x7f; ++c) table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return table;
}();

// From `pos`, skips plain_string_chars 16 bytes at a time to the first other byte; within the last 16
// bytes it stops and leaves the rest to the table. Ids and keys are most of a ping's bytes.
std::size_t skip_plain_blocks(const char* text, std::size_t pos, std::size_t size) {
#if defined(__SSE2__)
    const __m128i below_space = _mm_set1_epi8(0x1f);
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (size - pos >= 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + pos));
        // Signed bytes: UTF-8 (>= 0x80) is negative, so it fails the first comparison too.
        const __m128i refused = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, del), _mm_cmpeq_epi8(bytes, quote)),
                                             _mm_cmpeq_epi8(bytes, backslash));
        const __m128i plain = _mm_andnot_si128(refused, _mm_cmpgt_epi8(bytes, below_space));
        const auto mask = static_cast<unsigned>(_mm_movemask_epi8(plain));
        if (mask != 0xffff) return pos + static_cast<std::size_t>(std::countr_one(mask));
        pos += 16;
    }
#else
    (void)text;
    (void)size;
#endif
    return pos;
}

// A cursor over the body; every read checks the end, so no input can run past it.
class cursor {
public:
    explicit cursor(std::string_view text) : text_(text) {}

    bool at_end() const { return pos_ == text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    void skip_space() {
        while (!at_end() && is_space(text_[pos_])) ++pos_;
    }
    bool take(char c) {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    bool take(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    // A string without escapes, of printable ASCII only; the opening quote is next.
    bool string(std::string_view& out) {
        if (!take('"')) return false;
        const std::size_t start = pos_;
        std::size_t pos = pos_;  // a local: the compiler keeps it in a register
        const std::size_t size = text_.size();
        const char* text = text_.data();
        pos = skip_plain_blocks(text, pos, size);
        while (pos < size && plain_string_chars[static_cast<unsigned char>(text[pos])]) ++pos;
        pos_ = pos;
        // Escapes, control characters and UTF-8 stop the loop too: they need the full parser's checks.
        if (!take('"')) return false;
        out = text_.substr(start, pos_ - 1 - start);
        return true;
    }

    // RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(std::string_view& out) {
        const std::size_t start = pos_;
        take('-');
        if (take('0')) {
            if (is_digit(peek())) return false;
        } else if (!digits()) {
            return false;
        }
        if (take('.') && !digits()) return false;
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (!take('+')) take('-');
            const std::size_t exponent_start = pos_;
            if (!digits()) return false;
            // Boost.JSON refuses exponents near 2^31 (exponent_overflow); four digits stay far below.
            if (pos_ - exponent_start > max_exponent_digits) return false;
        }
        out = text_.substr(start, pos_ - start);
        return true;
    }

private:
    bool digits() {
        const std::size_t start = pos_;
        std::size_t pos = pos_;
        while (pos < text_.size() && is_digit(text_[pos])) ++pos;
        pos_ = pos;
        return pos > start;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

bool value(cursor& in, flat_member& member) {
    const char c = in.peek();
    if (c == '"') {
        member.kind = flat_kind::string;
        return in.string(member.text);
    }
    if (c == '-' || is_digit(c)) {
        member.kind = flat_kind::number;
        return in.number(member.text);
    }
    if (in.take("null")) {
        member.kind = flat_kind::null;
        return true;
    }
    member.kind = flat_kind::boolean;
    if (in.take("true")) {
        member.text = "true";
        return true;
    }
    member.text = "false";
    return in.take("false");  // anything else, objects and arrays included, is not handled
}

}  // namespace

namespace {

// The object at the cursor (its opening brace next), members into `out`.
bool object(cursor& in, flat_object& out) {
    out.size = 0;
    if (!in.take('{')) return false;
    in.skip_space();
    if (in.take('}')) return true;
    for (;;) {
        if (out.size == out.members.size()) return false;
        flat_member& member = out.members[out.size++];
        if (!in.string(member.key)) return false;
        in.skip_space();
        if (!in.take(':')) return false;
        in.skip_space();
        if (!value(in, member)) return false;
        in.skip_space();
        if (in.take('}')) return true;
        if (!in.take(',')) return false;
        in.skip_space();
    }
}

}  // namespace

bool scan_flat_object(std::string_view body, flat_object& out) {
    cursor in(body);
    in.skip_space();
    if (!object(in, out)) return false;
    in.skip_space();
    return in.at_end();
}

bool scan_flat_object_array(std::string_view body, std::string_view key,
                            const std::function<bool(const flat_object&)>& item) {
    cursor in(body);
    std::string_view found_key;
    in.skip_space();
    if (!in.take('{')) return false;
    in.skip_space();
    if (!in.string(found_key) || found_key != key) return false;
    in.skip_space();
    if (!in.take(':')) return false;
    in.skip_space();
    if (!in.take('[')) return false;
    in.skip_space();
    if (!in.take(']')) {
        flat_object element;
        for (;;) {
            if (!object(in, element) || !item(element)) return false;
            in.skip_space();
            if (in.take(']')) break;
            if (!in.take(',')) return false;
            in.skip_space();
        }
    }
    in.skip_space();
    if (!in.take('}')) return false;  // another member after the array: the full parser's business
    in.skip_space();
    return in.at_end();
}

std::optional<double> exact_decimal(std::string_view literal) {
    // Exact powers of ten: 10^0 .. 10^15 are all representable.
    static constexpr double powers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    std::uint64_t mantissa = 0;
    std::size_t digits = 0;
    std::size_t fraction_digits = 0;
    bool in_fraction = false;
    if (literal.empty()) return std::nullopt;
    for (const char c : literal) {
        if (c == '.' && !in_fraction) {
            in_fraction = true;
            continue;
        }
        if (!is_digit(c)) return std::nullopt;  // sign, exponent: the full parser decides
        mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
        if (++digits > max_exact_digits) return std::nullopt;
        if (in_fraction) ++fraction_digits;
    }
    // The same operation Boost.JSON performs for such a literal (mantissa / 10^k), so the same
    // correctly rounded double.
    const double whole = static_cast<double>(mantissa);
    return fraction_digits == 0 ? whole : whole / powers[fraction_digits];
}

std::optional<std::int64_t> small_integer(std::string_view literal) {
    if (literal.empty() || literal.size() > max_exact_digits) return std::nullopt;
    std::int64_t number = 0;
    for (const char c : literal) {
        if (!is_digit(c)) return std::nullopt;
        number = number * 10 + (c - '0');
    }
    return number;
}

}  // namespace progressd
