#pragma once
// The JSON shape of an enrolment in the native API (docs/native-api.md, "Enrolments").

#include "store/enrolments.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string_view>

namespace progressd {

boost::json::object enrolment_to_json(std::string_view user_id, const store::enrolment_key& key,
                                      const store::enrolment& value, std::int64_t now_ms);

}  // namespace progressd
