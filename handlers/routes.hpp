#pragma once
// One registration function per API family.

#include "handlers/router.hpp"

namespace progressd {

struct services;

// Families write handlers as plain functions of (services, request); this binds the first.
using family_handler = handler_result (*)(services&, request_context&);
inline route_handler bind_handler(services& context, family_handler handler) {
    return [&context, handler](request_context& request) { return handler(context, request); };
}

void register_ops_routes(router& routes, services& context);
void register_availability_routes(router& routes, services& context);  // ops/availability.cpp
void register_native_progress_routes(router& routes, services& context);
void register_native_user_routes(router& routes, services& context);
void register_native_catalog_routes(router& routes, services& context);
void register_native_collection_routes(router& routes, services& context);
void register_native_enrolment_routes(router& routes, services& context);
void register_native_assessment_routes(router& routes, services& context);
void register_native_continue_routes(router& routes, services& context);
void register_native_user_data_routes(router& routes, services& context);
void register_education_routes(router& routes, services& context);
void register_musora_routes(router& routes, services& context);
void register_skilljar_routes(router& routes, services& context);
void register_sunbird_routes(router& routes, services& context);

inline void register_all_routes(router& routes, services& context) {
    register_ops_routes(routes, context);
    register_native_progress_routes(routes, context);
    register_native_user_routes(routes, context);
    register_native_catalog_routes(routes, context);
    register_native_collection_routes(routes, context);
    register_native_enrolment_routes(routes, context);
    register_native_assessment_routes(routes, context);
    register_native_continue_routes(routes, context);
    register_native_user_data_routes(routes, context);
    register_education_routes(routes, context);
    register_musora_routes(routes, context);
    register_skilljar_routes(routes, context);
    register_sunbird_routes(routes, context);
}

}  // namespace progressd
