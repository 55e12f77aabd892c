#include "handlers/http_request.hpp"

#include <boost/beast/core/string.hpp>

namespace progressd {

http_request http_request::view_of(const beast_request& message) {
    http_request view(message.method(), message.target(), message.version());
    view.set_keep_alive(message.keep_alive());
    for (const auto& field : message) view.add_field(field.name_string(), field.value());
    view.set_body(message.body());
    return view;
}

std::string_view http_request::operator[](std::string_view name) const {
    for (std::size_t i = 0; i < count_; ++i) {
        const field_view candidate = field(i);
        // Clients nearly always spell a field the way it is looked up: one memcmp before the
        // case-insensitive loop.
        if (candidate.first.size() == name.size() && (candidate.first == name || beast::iequals(candidate.first, name))) {
            return candidate.second;
        }
    }
    return {};
}

void http_request::reset(http::verb method, std::string_view target, unsigned version) {
    method_ = method;
    target_ = target;
    version_ = version;
    keep_alive_ = version >= 11;
    body_ = {};
    more_.clear();
    count_ = 0;
}

void http_request::add_field(std::string_view name, std::string_view value) {
    if (count_ < inline_fields) {
        inline_[count_] = {name, value};
    } else {
        more_.emplace_back(name, value);
    }
    ++count_;
}

}  // namespace progressd
