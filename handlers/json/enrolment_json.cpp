#include "handlers/json/enrolment_json.hpp"

namespace progressd {

boost::json::object enrolment_to_json(std::string_view user_id, const store::enrolment_key& key,
                                      const store::enrolment& value, std::int64_t now_ms) {
    return {
        {"user_id", user_id},
        {"collection_id", key.collection_id},
        {"context_id", key.context_id},
        {"enrolled_at", value.enrolled_at},
        {"expires_at", value.expires_at ? boost::json::value(value.expires_at) : boost::json::value(nullptr)},
        {"active", value.active},
        {"expired", value.expired(now_ms)},
        {"source", value.implicit ? "implicit" : "explicit"},
        {"updated_at", value.updated_at},
    };
}

}  // namespace progressd
