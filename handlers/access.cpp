#include "handlers/access.hpp"

#include "handlers/problem.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

namespace progressd {

std::optional<api_error> refuse_while_loading(const services& context) {
    if (context.status.loaded.load(std::memory_order_acquire)) return std::nullopt;
    return api_error{error_code::unavailable, "the store is still loading; retry shortly", {}, {}};
}

std::optional<api_error> refuse_if_unwritable(const services& context) {
    if (auto loading = refuse_while_loading(context)) return loading;
    if (context.data.persister().writable()) return std::nullopt;
    return api_error{error_code::unavailable, "persistence is failing; writes are refused until it recovers", {}, {}};
}

std::optional<api_error> require_service(const auth::principal& principal, std::string_view what) {
    if (principal.role == auth::principal::kind::service) return std::nullopt;
    return api_error{error_code::forbidden, std::string(what) + " needs a service API key", {}, {}};
}

namespace {
http_response native_not_durable() {
    return write_problem({error_code::unavailable, "the write could not be made durable; retry later", {}, {}});
}
}  // namespace

handler_result durable_shared(services& context, http_response response, std::uint64_t generation) {
    handler_result result = durable_native(context, std::move(response), generation);
    if (context.data.cluster() != nullptr && generation != 0) {
        result.durable_generation = generation;
        result.not_durable = native_not_durable;
        context.data.persister().request_flush();  // snapshot mode would wait for the next interval
    }
    return result;
}

handler_result durable_native(const services& context, http_response response, std::uint64_t generation) {
    handler_result result{std::move(response)};
    if (const auto waits_for = context.data.reply_waits_for(generation); waits_for != 0) {
        result.durable_generation = waits_for;
        result.not_durable = native_not_durable;
    }
    return result;
}

std::optional<api_error> resolve_subject(const auth::principal& principal, const std::optional<std::string>& requested,
                                         std::string_view field, std::string& user_id) {
    if (principal.role == auth::principal::kind::user) {
        if (requested && !requested->empty() && *requested != "me" && *requested != principal.user_id) {
            return api_error::field(error_code::forbidden, field, "names another user; a user token acts on its own data");
        }
        user_id = principal.user_id;
        return std::nullopt;
    }
    if (!requested || requested->empty()) {
        return api_error::field(error_code::validation, field, "is required for a service principal");
    }
    if (*requested == "me" || !store::is_valid_id(*requested)) {
        return api_error::field(error_code::validation, field, "must be a user id (1-128 characters of A-Z a-z 0-9 . _ : @ -)");
    }
    user_id = *requested;
    return std::nullopt;
}

}  // namespace progressd
