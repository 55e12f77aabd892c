#pragma once
// Skilljar's webhooks resource (docs/webhooks.md): request parsing and response shapes. Pure
// functions, unit-tested in tests/unit/skilljar_webhook_mapping_test.cpp.

#include "common/http_url.hpp"
#include "handlers/compat/skilljar/skilljar_mapping.hpp"
#include "store/webhooks.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::skilljar {

inline constexpr std::size_t max_credential_length = 255;
inline constexpr std::size_t min_secret_length = 16;
inline constexpr std::size_t max_secret_length = 256;

// A create (every field may be given) or a PUT/PATCH (partial). Absent fields stay as they are.
struct webhook_write {
    std::optional<std::string> target_url{};
    std::optional<std::optional<store::event_type>> only{};  // set to nullopt: every event
    std::optional<bool> active{};
    std::optional<std::string> basic_auth_username{};
    std::optional<std::string> basic_auth_password{};
    std::optional<std::string> secret{};
};
// `creating`: target_url is required.
webhook_write parse_webhook_write(const boost::json::object& body, bool creating, field_errors& errors);
void apply_webhook_write(store::webhook& hook, const webhook_write& write);

// The document's fields; the create answer adds basic_auth_username and the signing secret.
boost::json::object webhook_to_json(const store::webhook& hook, bool with_secret);

}  // namespace progressd::skilljar
