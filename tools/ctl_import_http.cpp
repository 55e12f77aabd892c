#include "tools/ctl_import_http.hpp"

#include "tools/ctl_json.hpp"
#include "tools/ctl_ndjson.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <optional>
#include <variant>

namespace progressd::tools {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

constexpr std::size_t per_request = 500;

// One keep-alive connection to the server; reconnects once when the server closed it.
class api_client {
public:
    api_client(std::string host, std::string port, std::string api_key)
        : host_(std::move(host)), port_(std::move(port)), api_key_(std::move(api_key)) {}

    // The answer's status, or throws when the server cannot be reached.
    unsigned send(http::verb method, const std::string& target, std::string body, std::string& answer) {
        for (int attempt = 0;; ++attempt) {
            try {
                if (!stream_) connect();
                http::request<http::string_body> request{method, target, 11};
                request.set(http::field::host, host_);
                request.set(http::field::authorization, "Bearer " + api_key_);
                request.set(http::field::content_type, "application/json");
                request.body() = body;
                request.prepare_payload();
                http::write(*stream_, request);
                beast::flat_buffer buffer;
                http::response<http::string_body> response;
                http::read(*stream_, buffer, response);
                answer = std::move(response.body());
                if (!response.keep_alive()) stream_.reset();
                return response.result_int();
            } catch (const std::exception&) {
                stream_.reset();
                if (attempt > 0) throw;
            }
        }
    }

private:
    void connect() {
        net::ip::tcp::resolver resolver(io_);
        stream_.emplace(io_);
        stream_->connect(resolver.resolve(host_, port_));
    }

    net::io_context io_;
    std::string host_;
    std::string port_;
    std::string api_key_;
    std::optional<beast::tcp_stream> stream_;
};

class api_importer {
public:
    api_importer(api_client& client, import_counts& counts) : client_(client), counts_(counts) {}

    void add(const export_item& item) {
        std::visit([this](const auto& one) { add_one(one); }, item);
    }

    void finish() {
        flush_catalog();
        flush_pings();
    }

private:
    void add_one(const store::content_entry& entry) {
        std::string& out = catalog_.empty() ? (catalog_ = "[") : (catalog_ += ',');
        json_object_writer w(out);
        write_content_fields(w, entry);
        // A stored text that is not an object (never written by a server) cannot be sent as one.
        if (!entry.attributes.empty() && entry.attributes.front() == '{') w.raw("attributes", entry.attributes);
        w.close();
        if (++catalog_count_ == per_request) flush_catalog();
    }

    void add_one(const record_item& item) {
        const store::progress_record& r = item.record;
        std::string& out = pings_.empty() ? (pings_ = "{\"pings\":[") : (pings_ += ',');
        json_object_writer w(out);
        w.string("user_id", item.user_id).string("content_id", item.key.content_id).string("context_id", item.key.context_id);
        w.number("position_seconds", r.position_seconds);
        if (r.duration_seconds > 0) w.number("duration_seconds", r.duration_seconds);
        if (!r.mimetype.empty()) w.string("mimetype", r.mimetype);
        if (!r.details.empty() && r.details.front() == '{') w.raw("details", r.details);
        w.string("event", r.status == store::progress_status::completed ? "complete" : "update");
        w.close();
        if (++ping_count_ == per_request) flush_pings();
    }

    void add_one(const enrolment_item& item) {
        std::string body;
        json_object_writer w(body);
        w.integer("enrolled_at", item.value.enrolled_at);
        if (item.value.expires_at == 0) w.null("expires_at");
        else w.integer("expires_at", item.value.expires_at);
        w.boolean("active", item.value.active).close();
        send(http::verb::put,
             // Ids are [A-Za-z0-9._:@-] (store/ids.hpp): nothing in a path or query to escape.
             "/v1/users/" + item.user_id + "/enrolments/" + item.key.collection_id + "?context_id=" + item.key.context_id,
             body, 1);
    }

    void add_one(const assessment_item& item) {
        for (const auto& attempt : item.state.attempts) {
            std::string body;
            json_object_writer w(body);
            w.string("user_id", item.user_id)
                .string("content_id", item.key.content_id)
                .string("context_id", item.key.context_id);
            write_attempt_fields(w, attempt);
            w.close();
            send(http::verb::post, "/v1/assessments", body, 0);
        }
        ++counts_.written;
    }

    void flush_catalog() {
        if (catalog_count_ == 0) return;
        send(http::verb::post, "/v1/contents:import", catalog_ + "]", catalog_count_);
        catalog_.clear();
        catalog_count_ = 0;
    }

    void flush_pings() {
        if (ping_count_ == 0) return;
        std::string answer;
        const unsigned status = client_.send(http::verb::post, "/v1/progress/batch", pings_ + "]}", answer);
        if (status != 200) {
            counts_.failed += ping_count_;
            report(status, "/v1/progress/batch", answer);
        } else {
            // Each ping has its own status in the answer; count those that were not 200.
            std::string error;
            const auto parsed = parse_json(answer, error);
            const json_value* results = parsed ? parsed->find("results") : nullptr;
            std::size_t failed = 0;
            if (results) {
                for (const auto& one : results->items) {
                    const json_value* code = one.find("status");
                    if (!code || code->as_int64().value_or(0) != 200) {
                        if (++failed == 1) report(0, "/v1/progress/batch (a ping)", std::string(one.raw));
                    }
                }
            }
            counts_.failed += failed;
            counts_.written += ping_count_ - failed;
        }
        pings_.clear();
        ping_count_ = 0;
    }

    // `items`: how many entries the request carries (0: one part of an entry counted elsewhere).
    void send(http::verb method, const std::string& target, const std::string& body, std::size_t items) {
        std::string answer;
        const unsigned status = client_.send(method, target, body, answer);
        if (status >= 200 && status < 300) {
            counts_.written += items;
            return;
        }
        counts_.failed += std::max<std::size_t>(items, 1);
        report(status, target, answer);
    }

    void report(unsigned status, const std::string& target, const std::string& answer) {
        if (++reported_ > 20) return;
        std::cerr << "progressctl import: " << target << " answered " << status << ": " << answer.substr(0, 300) << '\n';
    }

    api_client& client_;
    import_counts& counts_;
    std::string catalog_;
    std::size_t catalog_count_ = 0;
    std::string pings_;
    std::size_t ping_count_ = 0;
    std::size_t reported_ = 0;
};

}  // namespace

int import_through_api(std::istream& in, const http_import_options& options) {
    constexpr std::string_view scheme = "http://";
    if (options.url.substr(0, scheme.size()) != scheme) {
        std::cerr << "progressctl import: --url must be http://host:port (put TLS in front of it elsewhere)\n";
        return ctl_cannot_run;
    }
    std::string authority = options.url.substr(scheme.size());
    authority = authority.substr(0, authority.find('/'));
    const auto colon = authority.rfind(':');
    const std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
    const std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
    api_client client(host, port, options.api_key);
    import_counts counts;
    try {
        api_importer importer(client, counts);
        // Catalog lines come first in an export, so collections exist before the pings name them.
        read_lines(in, counts, [&importer](export_item&& item) { importer.add(item); });
        importer.finish();
    } catch (const std::exception& error) {
        std::cerr << "progressctl import: " << options.url << ": " << error.what() << '\n';
        return ctl_cannot_run;
    }
    std::cerr << "progressctl import: " << counts.written << " written through the API, " << counts.failed
              << " refused, " << counts.bad_lines << " bad lines skipped\n";
    return counts.failed == 0 && counts.bad_lines == 0 ? ctl_ok : ctl_problem;
}

}  // namespace progressd::tools
