#pragma once
// A request as handlers read it: method, target, version, fields and body, all views into bytes
// that whoever built it keeps alive while the request is handled — the session's read buffer
// when the head took the fast path (server/request_head.hpp), a Beast message otherwise.
//
// Why not Beast's message itself: building one costs an allocation per field plus the target
// and body copies, and every field lookup walks a case-insensitive tree, on every ping. Here the
// usual handful of fields sits in an inline array and a lookup is a short scan.
//
// Lookups behave like Beast's: names compare case-insensitively, the first of repeated fields
// wins, an absent field reads as "".

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd {

namespace beast = boost::beast;
namespace http = beast::http;

using beast_request = http::request<http::string_body>;

class http_request {
public:
    using field_view = std::pair<std::string_view, std::string_view>;  // name, value

    http_request() = default;
    // keep_alive starts as HTTP/version's default: on for 1.1, off for 1.0.
    http_request(http::verb method, std::string_view target, unsigned version)
        : method_(method), target_(target), version_(version), keep_alive_(version >= 11) {}
    // Views `message`, which must outlive the result, with Beast's own keep-alive reading.
    static http_request view_of(const beast_request& message);
    // Starts over as a new request with no fields and no body, as the constructor would, but
    // leaves the inline field slots as they are (only the first field_count() are ever read): a
    // session reuses one request object rather than clear 16 slots for every ping.
    void reset(http::verb method, std::string_view target, unsigned version);

    http::verb method() const { return method_; }
    std::string_view target() const { return target_; }
    unsigned version() const { return version_; }
    bool keep_alive() const { return keep_alive_; }
    std::string_view body() const { return body_; }

    std::string_view operator[](http::field name) const { return (*this)[http::to_string(name)]; }
    std::string_view operator[](std::string_view name) const;
    std::size_t field_count() const { return count_; }
    field_view field(std::size_t index) const { return index < inline_fields ? inline_[index] : more_[index - inline_fields]; }

    void add_field(std::string_view name, std::string_view value);
    void set_body(std::string_view body) { body_ = body; }
    void set_keep_alive(bool keep_alive) { keep_alive_ = keep_alive; }

private:
    static constexpr std::size_t inline_fields = 16;

    http::verb method_ = http::verb::unknown;
    std::string_view target_;
    unsigned version_ = 11;
    bool keep_alive_ = true;
    std::string_view body_;
    std::array<field_view, inline_fields> inline_{};
    std::vector<field_view> more_;  // fields past the inline ones (slow-path requests only, in practice)
    std::size_t count_ = 0;
};

}  // namespace progressd
