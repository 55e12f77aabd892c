#include "handlers/compat/skilljar/skilljar_webhook_mapping.hpp"

#include <boost/json/serialize.hpp>


namespace progressd::skilljar {
namespace {

void add(field_errors& errors, std::string_view field, std::string message) {
    errors[std::string(field)].push_back(std::move(message));
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
