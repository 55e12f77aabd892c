#include "store/postgres/shared_notice.hpp"

#include "store/postgres/connection.hpp"
#include "store/postgres/query_params.hpp"

#include <charconv>

namespace progressd::store {
namespace {

constexpr std::string_view catalog_name = "catalog";
constexpr std::string_view webhooks_name = "webhooks";

constexpr statement notify_statement{"progressd_notify_shared", "SELECT pg_notify('progressd_shared', $1::text)"};

std::string_view name_of(shared_table table) { return table == shared_table::catalog ? catalog_name : webhooks_name; }

}  // namespace

std::string encode_shared_notice(shared_table table, std::span<const std::string_view> keys) {
    std::string payload(name_of(table));
    payload += ' ';
    const std::size_t header = payload.size();
    for (const auto key : keys) {
        payload += std::to_string(key.size());
        payload += ':';
        payload += key;
        if (payload.size() > max_notice_payload) {
            payload.resize(header);
            payload += '*';
            return payload;
        }
    }
    return payload;
}

std::optional<shared_notice> decode_shared_notice(std::string_view payload) {
    const std::size_t space = payload.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    shared_notice notice;
    const std::string_view name = payload.substr(0, space);
    if (name == catalog_name) notice.table = shared_table::catalog;
    else if (name == webhooks_name) notice.table = shared_table::webhooks;
    else return std::nullopt;
    std::string_view rest = payload.substr(space + 1);
    if (rest == "*") {
        notice.whole_table = true;
        return notice;
    }
    while (!rest.empty()) {
        std::size_t length = 0;
        const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), length);
        if (error != std::errc{} || end == rest.data() + rest.size() || *end != ':') return std::nullopt;
        rest.remove_prefix(static_cast<std::size_t>(end - rest.data()) + 1);
        if (length > rest.size()) return std::nullopt;
        notice.keys.emplace_back(rest.substr(0, length));
        rest.remove_prefix(length);
    }
    return notice;
}

pg_status notify_shared(transaction& txn, shared_table table, std::span<const std::string_view> keys) {
    if (keys.empty()) return {};
    query_params params;
    params.add_text(encode_shared_notice(table, keys));
    auto sent = txn.conn().run(notify_statement, params);
    if (!sent) return sent.error();
    return {};
}

}  // namespace progressd::store
