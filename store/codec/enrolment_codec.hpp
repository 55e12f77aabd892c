#pragma once
// The LMDB encoding of enrolments, in the `enrolments` named database.
//
// Key: user_id '\0' collection_id '\0' context_id (the context may be empty), so one user's
// enrolments sort together. Value: a version byte, a flags byte (active, implicit), then
// enrolled_at, expires_at and updated_at. Decoding checks lengths, flags and ids.

#include "store/enrolments.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

struct decoded_enrolment_key {
    std::string_view user_id;
    std::string_view collection_id;
    std::string_view context_id;
};

std::string encode_enrolment_key(std::string_view user_id, const enrolment_key& key);
std::optional<decoded_enrolment_key> decode_enrolment_key(std::string_view bytes);

std::string encode_enrolment(const enrolment& value);
std::optional<enrolment> decode_enrolment(std::string_view bytes);

}  // namespace progressd::store
