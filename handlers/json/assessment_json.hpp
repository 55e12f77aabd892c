#pragma once
// JSON shapes of assessment attempts and quiz states in the native API (docs/native-api.md,
// "Assessments").

#include "store/assessments.hpp"
#include "store/record.hpp"

#include <boost/json/object.hpp>

#include <string_view>

namespace progressd {

boost::json::object attempt_to_json(const store::assessment_attempt& attempt);
boost::json::object state_to_json(std::string_view user_id, const store::record_key& key,
                                  const store::assessment_state& state);

}  // namespace progressd
