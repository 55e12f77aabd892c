#include "handlers/compat/skilljar/skilljar_webhook_mapping.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>

namespace progressd::skilljar {
namespace {

void add(field_errors& errors, std::string_view field, std::string message) {
    errors[std::string(field)].push_back(std::move(message));
}

bool printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// A string field no longer than `max_length`; "" when the body gives null (meaning: none).
std::optional<std::string> read_text(const boost::json::object& body, std::string_view name, std::size_t max_length,
                                     field_errors& errors) {
    const auto* value = body.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (value->is_null()) return std::string();
    if (!value->is_string()) {
        add(errors, name, "Not a valid string.");
        return std::nullopt;
    }
    const auto& text = value->get_string();
    if (text.size() > max_length) {
        add(errors, name, "Ensure this field has no more than " + std::to_string(max_length) + " characters.");
        return std::nullopt;
    }
    return std::string(text);
}

boost::json::value text_or_null(const std::string& text) {
    if (text.empty()) return nullptr;
    return boost::json::value(text);
}

}  // namespace

std::optional<http_target> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.size() > max_target_url_length || url.size() <= scheme.size() || !printable_ascii(url)) return std::nullopt;
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

webhook_write parse_webhook_write(const boost::json::object& body, bool creating, field_errors& errors) {
    webhook_write write;
    if (const auto* url = body.if_contains("target_url"); url == nullptr || url->is_null()) {
        if (creating || url != nullptr) add(errors, "target_url", url ? "This field may not be null." : "This field is required.");
    } else if (!url->is_string()) {
        add(errors, "target_url", "Not a valid string.");
    } else if (!parse_http_url(url->get_string())) {
        add(errors, "target_url", "Enter a valid URL: http://host[:port][/path] (https is not supported; see docs/webhooks.md).");
    } else {
        write.target_url = std::string(url->get_string());
    }

    if (const auto* type = body.if_contains("event_type")) {
        if (type->is_null()) {
            write.only = std::optional<store::event_type>{};
        } else if (auto parsed = type->is_string() ? store::parse_event_type(type->get_string()) : std::nullopt) {
            write.only = parsed;
        } else {
            const std::string shown = type->is_string() ? std::string(type->get_string()) : boost::json::serialize(*type);
            add(errors, "event_type", "\"" + shown + "\" is not a valid choice.");
        }
    }

    if (const auto* active = body.if_contains("active")) {
        if (active->is_bool()) {
            write.active = active->get_bool();
        } else {
            add(errors, "active", "Must be a valid boolean.");
        }
    }

    write.basic_auth_username = read_text(body, "basic_auth_username", max_credential_length, errors);
    write.basic_auth_password = read_text(body, "basic_auth_password", max_credential_length, errors);
    if (write.basic_auth_username && write.basic_auth_username->find(':') != std::string::npos) {
        add(errors, "basic_auth_username", "A Basic auth user name cannot contain ':'.");
    }
    write.secret = read_text(body, "secret", max_secret_length, errors);
    if (write.secret && write.secret->size() < min_secret_length) {
        add(errors, "secret", "Ensure this field has at least " + std::to_string(min_secret_length) + " characters.");
    }
    return write;
}

void apply_webhook_write(store::webhook& hook, const webhook_write& write) {
    if (write.target_url) hook.target_url = *write.target_url;
    if (write.only) hook.only = *write.only;
    if (write.active) {
        hook.active = *write.active;
        if (hook.active) hook.deactivate_reason.clear();  // re-activated: the old reason no longer holds
    }
    if (write.basic_auth_username) hook.basic_auth_username = *write.basic_auth_username;
    if (write.basic_auth_password) hook.basic_auth_password = *write.basic_auth_password;
    if (write.secret && !write.secret->empty()) hook.secret = *write.secret;
}

boost::json::object webhook_to_json(const store::webhook& hook, bool with_secret) {
    boost::json::object json{
        {"id", hook.id},
        {"target_url", hook.target_url},
        {"event_type", hook.only ? boost::json::value(store::event_type_name(*hook.only)) : nullptr},
        {"active", hook.active},
        {"deactivate_reason", text_or_null(hook.deactivate_reason)},
    };
    if (with_secret) {
        json["basic_auth_username"] = text_or_null(hook.basic_auth_username);
        json["secret"] = hook.secret;
    }
    return json;
}

}  // namespace progressd::skilljar
