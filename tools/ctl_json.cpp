#include "tools/ctl_json.hpp"

#include <charconv>
#include <cmath>

namespace progressd::tools {

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char digits[] = "0123456789abcdef";
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            switch (c) {
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    out += "\\u00";
                    out += digits[byte >> 4];
                    out += digits[byte & 15];
            }
        } else {
            out += c;
        }
    }
    out += '"';
}

void append_json_number(std::string& out, double value) {
    char text[32];
    const auto result = std::to_chars(text, text + sizeof text, value);
    out.append(text, result.ptr);
}

void json_object_writer::name(std::string_view member) {
    if (!std::exchange(first_, false)) out_ += ',';
    append_json_string(out_, member);
    out_ += ':';
}

json_object_writer& json_object_writer::string(std::string_view member, std::string_view value) {
    name(member);
    append_json_string(out_, value);
    return *this;
}

json_object_writer& json_object_writer::number(std::string_view member, double value) {
    name(member);
    append_json_number(out_, value);
    return *this;
}

json_object_writer& json_object_writer::integer(std::string_view member, std::int64_t value) {
    name(member);
    out_ += std::to_string(value);
    return *this;
}

json_object_writer& json_object_writer::boolean(std::string_view member, bool value) {
    name(member);
    out_ += value ? "true" : "false";
    return *this;
}

json_object_writer& json_object_writer::null(std::string_view member) {
    name(member);
    out_ += "null";
    return *this;
}

json_object_writer& json_object_writer::raw(std::string_view member, std::string_view json) {
    name(member);
    out_ += json;
    return *this;
}

const json_value* json_value::find(std::string_view name) const {
    for (const auto& [key, value] : members) {
        if (key == name) return &value;
    }
    return nullptr;
}

std::optional<double> json_value::as_double() const {
    if (type != kind::number) return std::nullopt;
    double value = 0;
    const auto result = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (result.ec != std::errc{} || result.ptr != raw.data() + raw.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

std::optional<std::int64_t> json_value::as_int64() const {
    if (type != kind::number) return std::nullopt;
    std::int64_t value = 0;
    const auto result = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (result.ec != std::errc{} || result.ptr != raw.data() + raw.size()) return std::nullopt;
    return value;
}

namespace {

// Recursive descent over RFC 8259, nesting bounded so a hostile line cannot exhaust the stack.
class parser {
public:
    explicit parser(std::string_view text) : text_(text) {}

    std::optional<json_value> document(std::string& error) {
        json_value value;
        skip_space();
        if (!parse_value(value, 0)) {
            error = error_ + " at byte " + std::to_string(at_);
            return std::nullopt;
        }
        skip_space();
        if (at_ != text_.size()) {
            error = "trailing characters at byte " + std::to_string(at_);
            return std::nullopt;
        }
        return value;
    }

private:
    static constexpr int max_depth = 64;

    bool fail(const char* what) {
        error_ = what;
        return false;
    }
    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) ++at_;
    }
    bool literal(std::string_view word) {
        if (text_.substr(at_, word.size()) != word) return fail("invalid literal");
        at_ += word.size();
        return true;
    }

    bool parse_value(json_value& value, int depth) {
        if (depth > max_depth) return fail("nesting too deep");
        if (at_ >= text_.size()) return fail("unexpected end");
        const std::size_t start = at_;
        bool ok = false;
        switch (text_[at_]) {
            case 'n': value.type = json_value::kind::null; ok = literal("null"); break;
            case 't': value.type = json_value::kind::boolean; value.flag = true; ok = literal("true"); break;
            case 'f': value.type = json_value::kind::boolean; ok = literal("false"); break;
            case '"': value.type = json_value::kind::string; ok = parse_string(value.text); break;
            case '[': value.type = json_value::kind::array; ok = parse_array(value, depth); break;
            case '{': value.type = json_value::kind::object; ok = parse_object(value, depth); break;
            default: value.type = json_value::kind::number; ok = parse_number(); break;
        }
        value.raw = text_.substr(start, at_ - start);
        return ok;
    }

    bool parse_number() {
        const std::size_t start = at_;
        if (at_ < text_.size() && text_[at_] == '-') ++at_;
        const auto digits = [this] {
            const std::size_t from = at_;
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
            return at_ - from;
        };
        const std::size_t integer_start = at_;
        const std::size_t integer_digits = digits();
        if (integer_digits == 0) return fail("invalid value");
        if (integer_digits > 1 && text_[integer_start] == '0') return fail("leading zero in a number");
        if (at_ < text_.size() && text_[at_] == '.') {
            ++at_;
            if (digits() == 0) return fail("invalid number");
        }
        if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
            ++at_;
            if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
            if (digits() == 0) return fail("invalid number");
        }
        return at_ > start;
    }

    static void append_utf8(std::string& out, std::uint32_t code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    bool hex4(std::uint32_t& code) {
        if (text_.size() - at_ < 4) return fail("short \\u escape");
        code = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[at_++];
            code <<= 4;
            if (c >= '0' && c <= '9') code |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') code |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') code |= static_cast<std::uint32_t>(c - 'A' + 10);
            else return fail("invalid \\u escape");
        }
        return true;
    }

    bool parse_string(std::string& out) {
        ++at_;  // the opening quote
        for (;;) {
            if (at_ >= text_.size()) return fail("unterminated string");
            const char c = text_[at_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_ >= text_.size()) return fail("unterminated string");
            switch (const char e = text_[at_++]) {
                case '"': case '\\': case '/': out += e; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t code = 0;
                    if (!hex4(code)) return false;
                    if (code >= 0xD800 && code < 0xDC00 && text_.substr(at_, 2) == "\\u") {
                        at_ += 2;
                        std::uint32_t low = 0;
                        if (!hex4(low)) return false;
                        if (low < 0xDC00 || low >= 0xE000) return fail("invalid surrogate pair");
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    append_utf8(out, code);
                    break;
                }
                default: return fail("invalid escape");
            }
        }
    }

    bool parse_array(json_value& value, int depth) {
        ++at_;
        skip_space();
        if (at_ < text_.size() && text_[at_] == ']') {
            ++at_;
            return true;
        }
        for (;;) {
            skip_space();
            if (!parse_value(value.items.emplace_back(), depth + 1)) return false;
            skip_space();
            if (at_ >= text_.size()) return fail("unterminated array");
            const char c = text_[at_++];
            if (c == ']') return true;
            if (c != ',') return fail("expected , or ]");
        }
    }

    bool parse_object(json_value& value, int depth) {
        ++at_;
        skip_space();
        if (at_ < text_.size() && text_[at_] == '}') {
            ++at_;
            return true;
        }
        for (;;) {
            skip_space();
            if (at_ >= text_.size() || text_[at_] != '"') return fail("expected a member name");
            auto& member = value.members.emplace_back();
            if (!parse_string(member.first)) return false;
            skip_space();
            if (at_ >= text_.size() || text_[at_++] != ':') return fail("expected :");
            skip_space();
            if (!parse_value(member.second, depth + 1)) return false;
            skip_space();
            if (at_ >= text_.size()) return fail("unterminated object");
            const char c = text_[at_++];
            if (c == '}') return true;
            if (c != ',') return fail("expected , or }");
        }
    }

    std::string_view text_;
    std::size_t at_ = 0;
    std::string error_;
};

}  // namespace

std::optional<json_value> parse_json(std::string_view text, std::string& error) { return parser(text).document(error); }

}  // namespace progressd::tools
