#include "handlers/compat/sunbird/sunbird_mapping.hpp"

#include "store/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace progressd::sunbird {
namespace {

std::tm utc_of(std::int64_t ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return utc;
}

std::optional<double> as_number(const boost::json::value& value) {
    if (value.is_int64()) return static_cast<double>(value.get_int64());
    if (value.is_uint64()) return static_cast<double>(value.get_uint64());
    if (value.is_double()) return value.get_double();
    return std::nullopt;
}

// An id field: absent, null or "" → ""; a string that is not a valid id → error.
std::string read_id(const boost::json::object& request, std::string_view name, std::string_view label,
                    std::vector<field_error>& errors) {
    const auto* value = request.if_contains(name);
    if (!value || value->is_null()) return {};
    const std::string field = "request." + std::string(name);
    if (!value->is_string()) {
        errors.push_back({field, "Invalid " + std::string(label)});
        return {};
    }
    std::string id(value->get_string());
    if (!id.empty() && !store::is_valid_id(id)) {
        errors.push_back({field, "Invalid " + std::string(label)});
        return {};
    }
    return id;
}

}  // namespace

boost::json::value number(double value) {
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9007199254740992.0) {
        return static_cast<std::int64_t>(value);
    }
    return value;
}

std::string format_ts(std::int64_t ms) {
    const std::tm utc = utc_of(ms);
    char text[48];
    const int size = std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d:%03d+0000", utc.tm_year + 1900,
                                   utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                                   static_cast<int>(((ms % 1000) + 1000) % 1000));
    return std::string(text, static_cast<std::size_t>(size));
}

boost::json::value format_date(std::int64_t ms) {
    if (ms <= 0) return nullptr;
    const std::tm utc = utc_of(ms);
    char text[16];
    const std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
    return boost::json::string(std::string_view(text, size));
}

boost::json::object success_envelope(std::string_view api_id, const boost::json::value& msgid, std::int64_t now_ms,
                                     boost::json::value result) {
    return {
        {"id", api_id},
        {"ver", "v1"},
        {"ts", format_ts(now_ms)},
        {"params",
         {{"resmsgid", nullptr}, {"msgid", msgid}, {"err", nullptr}, {"status", "success"}, {"errmsg", nullptr}}},
        {"responseCode", "OK"},
        {"result", std::move(result)},
    };
}

failure failure_for(const api_error& error) {
    failure failed;
    const unsigned status = status_of(error.code);
    // Sunbird answers every validation problem with 400 BAD_REQUEST.
    failed.http_status = (error.code == error_code::validation) ? 400 : status;
    failed.err = status >= 500 ? "SERVER_ERROR" : "CLIENT_ERROR";
    switch (error.code) {
        case error_code::malformed_json:
        case error_code::validation: failed.response_code = "BAD_REQUEST"; break;
        case error_code::missing_credentials:
        case error_code::invalid_credentials: failed.response_code = "UNAUTHORIZED"; break;
        case error_code::forbidden: failed.response_code = "FORBIDDEN"; break;
        case error_code::not_found: failed.response_code = "RESOURCE_NOT_FOUND"; break;
        case error_code::method_not_allowed: failed.response_code = "METHOD_NOT_ALLOWED"; break;
        case error_code::body_too_large:
        case error_code::headers_too_large:
        case error_code::request_timeout:
        case error_code::unsupported_media_type: failed.response_code = "BAD_REQUEST"; break;
        case error_code::internal:
        case error_code::unavailable: failed.response_code = "SERVER_ERROR"; break;
    }
    for (const auto& field : error.errors) failed.result[field.field] = field.message;
    if (!error.errors.empty()) {
        failed.errmsg = error.errors.front().message;
    } else {
        failed.errmsg = error.detail.empty() ? failed.response_code : error.detail;
    }
    return failed;
}

boost::json::object failure_envelope(std::string_view api_id, const boost::json::value& msgid, std::int64_t now_ms,
                                     const failure& failed) {
    return {
        {"id", api_id},
        {"ver", "v1"},
        {"ts", format_ts(now_ms)},
        {"params",
         {{"resmsgid", nullptr},
          {"msgid", msgid},
          {"err", failed.err},
          {"status", "failed"},
          {"errmsg", failed.errmsg}}},
        {"responseCode", failed.response_code},
        {"result", failed.result},
    };
}

envelope_in read_envelope(const boost::json::object& body) {
    envelope_in in;
    if (const auto* params = body.if_contains("params"); params && params->is_object()) {
        if (const auto* msgid = params->as_object().if_contains("msgid"); msgid && msgid->is_string()) {
            in.msgid = *msgid;
        }
    }
    if (const auto* request = body.if_contains("request"); request && request->is_object()) {
        in.request = &request->as_object();
    }
    return in;
}

view_request parse_view(const boost::json::object& request, view_call call, std::vector<field_error>& errors) {
    view_request view;
    const auto* content = request.if_contains("contentId");
    if (!content || content->is_null() || (content->is_string() && content->get_string().empty())) {
        errors.push_back({"request.contentId", "Content Id cannot be empty"});
    } else {
        view.content_id = read_id(request, "contentId", "Content Id", errors);
    }
    view.collection_id = read_id(request, "collectionId", "Collection Id", errors);
    view.context_id = read_id(request, "contextId", "Context Id", errors);
    if (call == view_call::end && !view.context_id.empty() && view.collection_id.empty() &&
        !request.contains("collectionId")) {
        errors.push_back({"request.collectionId", "Collection Id cannot be empty when Context Id is present"});
    }
    if (call != view_call::update) return view;

    const auto* details = request.if_contains("progressDetails");
    if (!details || !details->is_object()) {
        errors.push_back({"request.progressDetails", "Progress Details cannot be empty"});
    } else {
        const auto& object = details->as_object();
        if (const auto* progress = object.if_contains("progress"); progress && !progress->is_null()) {
            const auto value = as_number(*progress);
            if (!value || !std::isfinite(*value) || *value < 0 || *value > 100) {
                errors.push_back({"request.progressDetails.progress", "Progress must be a number from 0 to 100"});
            } else {
                view.progress = *value;
            }
        }
        for (const char* name : {"mimetype", "mimeType"}) {
            const auto* mimetype = object.if_contains(name);
            if (!mimetype || !mimetype->is_string()) continue;
            if (mimetype->get_string().size() > max_mimetype_bytes) {
                errors.push_back({"request.progressDetails." + std::string(name), "Invalid mimetype"});
            } else {
                view.mimetype = std::string(mimetype->get_string());
            }
            break;
        }
        auto text = boost::json::serialize(object);
        if (text.size() > max_details_bytes) {
            errors.push_back({"request.progressDetails", "Progress Details must be at most 4096 bytes"});
        } else {
            view.details = std::move(text);
        }
    }
    // The document spells it both ways (timespent in the examples, timeSpent in its request spec).
    const auto* spent = request.if_contains("timespent");
    if (!spent) spent = request.if_contains("timeSpent");
    if (spent && !spent->is_null()) {
        const auto value = as_number(*spent);
        if (!value || !std::isfinite(*value) || *value < 0 || *value > max_timespent_seconds) {
            errors.push_back({"request.timespent", "Time Spent must be a number of seconds from 0 to 3600"});
        } else {
            view.timespent = *value;
        }
    }
    return view;
}

store::ping to_ping(const view_request& view, view_call call) {
    store::ping ping;
    ping.content_id = view.content_id;
    ping.context_id = view.context_id;
    ping.collection_id = view.collection_id;
    switch (call) {
        case view_call::start: ping.event = store::ping_event::start; break;
        case view_call::update: ping.event = store::ping_event::update; break;
        case view_call::end: ping.event = store::ping_event::complete; break;
    }
    ping.progress_percent = view.progress;
    ping.time_spent_delta_seconds = view.timespent;
    ping.mimetype = view.mimetype;
    ping.details = view.details;
    return ping;
}

void key_by_msgid(store::ping& ping, view_call call, const boost::json::value& msgid) {
    if (!msgid.is_string() || msgid.get_string().empty()) return;
    const auto& text = msgid.get_string();
    const std::string_view name = call == view_call::start ? "start" : call == view_call::update ? "update" : "end";
    std::string& key = ping.session_id.emplace("msgid:");
    key.append(name).push_back(':');
    key.append(text.data(), text.size());
    ping.seq = 1;
}

boost::json::object progress_details(const store::progress_record& record) {
    boost::json::object details;
    if (!record.details.empty()) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(record.details, ec);
        if (!ec && parsed.is_object()) details = std::move(parsed.as_object());
    }
    if (!details.contains("mimetype") && !details.contains("mimeType") && !record.mimetype.empty()) {
        details["mimetype"] = record.mimetype;
    }
    details["progress"] = number(record.progress_percent);
    return details;
}

boost::json::object content_to_json(std::string_view user_id, std::string_view context_id,
                                    std::string_view content_id, const boost::json::value& collection_id,
                                    const store::progress_record& record) {
    boost::json::value context = nullptr;
    if (!context_id.empty()) context = boost::json::string(context_id);
    return {
        {"userId", user_id},
        {"contentId", content_id},
        {"collectionId", collection_id},
        {"contextId", context},
        {"status", static_cast<int>(record.status)},
        {"progressDetails", progress_details(record)},
    };
}

std::optional<std::vector<store::item_result>> assess_items(const boost::json::value& events, std::string& reason) {
    if (!events.is_array() || events.as_array().empty()) {
        reason = "Assessments cannot be empty";
        return std::nullopt;
    }
    std::vector<store::item_result> items;
    for (const auto& event : events.as_array()) {
        if (!event.is_object()) {
            reason = "Each assessment must be an ASSESS event object";
            return std::nullopt;
        }
        const auto* edata = event.as_object().if_contains("edata");
        if (!edata || !edata->is_object()) continue;
        const auto& data = edata->as_object();
        const auto* item = data.if_contains("item");
        if (!item || !item->is_object()) continue;
        const auto* id = item->as_object().if_contains("id");
        if (!id || !id->is_string() || id->get_string().empty()) continue;
        store::item_result result;
        result.item_id = std::string(id->get_string());
        if (const auto* score = data.if_contains("score")) result.score = as_number(*score).value_or(0);
        if (const auto* max = item->as_object().if_contains("maxscore")) result.max_score = as_number(*max).value_or(0);
        if (!std::isfinite(result.score) || !std::isfinite(result.max_score) || result.score < 0 ||
            result.max_score < 0) {
            reason = "Scores must be non-negative numbers";
            return std::nullopt;
        }
        items.push_back(std::move(result));
    }
    return items;
}

boost::json::object attempt_to_json(const store::assessment_attempt& attempt) {
    return {{"attemptId", attempt.attempt_id}, {"score", number(attempt.score)}, {"max_score", number(attempt.max_score)}};
}

}  // namespace progressd::sunbird
