#include "tools/ctl_damage.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/ids.hpp"
#include "store/persist/lmdb.hpp"

#include <cstdint>

namespace progressd::tools {
namespace {

bool valid_record_key(std::string_view key) {
    const auto parts = store::decode_key(key);
    return parts && store::is_valid_id(parts->user_id) && store::is_valid_context_id(parts->context_id) &&
           store::is_valid_id(parts->content_id);
}

}  // namespace

std::optional<std::string> find_damage(database_id database, std::string_view key, std::string_view value) {
    switch (database) {
        case database_id::records:
            if (!valid_record_key(key)) return "key is not user\\0context\\0content with valid ids";
            if (!store::decode_record(value)) return "value does not decode as a progress record";
            return std::nullopt;
        case database_id::catalog:
            if (!store::decode_catalog_entry(key, value)) return "value does not decode as a catalog entry (or ids invalid)";
            return std::nullopt;
        case database_id::enrolments:
            if (!store::decode_enrolment_key(key)) return "key is not user\\0collection\\0context with valid ids";
            if (!store::decode_enrolment(value)) return "value does not decode as an enrolment";
            return std::nullopt;
        case database_id::assessments:
            if (!valid_record_key(key)) return "key is not user\\0context\\0content with valid ids";
            if (!store::decode_assessment_state(value)) return "value does not decode as an assessment state";
            return std::nullopt;
        case database_id::webhooks:
            if (!store::decode_webhook(key, value)) return "value does not decode as a webhook";
            return std::nullopt;
        case database_id::outbox:
            if (!store::decode_delivery(value)) return "value does not decode as an outbox delivery";
            return std::nullopt;
        case database_id::meta:
            // The server refuses to start on another format version, and reads wal_checkpoint as one u64.
            if (key == "format_version" && value != store::data_format_version) {
                return "format version " + std::string(value) + " is not " + std::string(store::data_format_version);
            }
            if (key == "wal_checkpoint" && value.size() != sizeof(std::uint64_t)) return "wal_checkpoint is not 8 bytes";
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace progressd::tools
