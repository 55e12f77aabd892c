#pragma once
// LMDB values of the webhooks and outbox databases (byte_codec building blocks). The webhook's key
// is its id; a delivery's key is event_outbox::key_of. Decoding checks every length and range, so
// a damaged value is skipped at recovery, never trusted.

#include "store/outbox.hpp"
#include "store/webhooks.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

std::string encode_webhook(const webhook& value);
std::optional<webhook> decode_webhook(std::string_view id, std::string_view bytes);

std::string encode_delivery(const delivery& value);
std::optional<delivery> decode_delivery(std::string_view bytes);

}  // namespace progressd::store
