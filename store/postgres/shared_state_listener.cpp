#include "store/postgres/shared_state_listener.hpp"

#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/shared_rows.hpp"
#include "store/postgres/webhook_rows.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

namespace progressd::store {
namespace {

using steady = std::chrono::steady_clock;

// A read that failed on a connection still usable (a row that does not decode) is skipped until
// the next reload; anything else replaces the connection.
bool broken(const pg_error& error, const connection& conn) {
    return error.code == pg_errc::connection_failed || !conn.healthy();
}

}  // namespace

shared_state_listener::shared_state_listener(catalog& catalog, webhook_registry& webhooks, std::string conninfo,
                                             shared_state_listener_options options, const logger& log)
    : catalog_(catalog), webhooks_(webhooks), conninfo_(std::move(conninfo)), options_(options), log_(log) {}

shared_state_listener::~shared_state_listener() { stop(); }

void shared_state_listener::start() {
    if (thread_.joinable()) return;
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    stopping_.store(false, std::memory_order_release);
    thread_ = std::thread([this] { run(); });
}

void shared_state_listener::stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true, std::memory_order_release);
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(wake_[1], &byte, 1);
    thread_.join();
    for (int& fd : wake_) {
        ::close(fd);
        fd = -1;
    }
    conn_.reset();
    listening_.store(false, std::memory_order_release);
}

shared_state_stats shared_state_listener::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void shared_state_listener::count(std::uint64_t shared_state_stats::*counter, std::uint64_t by) {
    std::lock_guard lock(mutex_);
    stats_.*counter += by;
}

void shared_state_listener::run() {
    std::chrono::milliseconds backoff{0};
    while (!stopping_.load(std::memory_order_acquire)) {
        if (!conn_) {
            if (backoff.count() > 0) pause(backoff);
            if (stopping_.load(std::memory_order_acquire)) break;
            if (!connect()) {
                backoff = std::min(options_.max_backoff, backoff.count() == 0 ? options_.first_backoff : backoff * 2);
                continue;
            }
            backoff = std::chrono::milliseconds{0};
        }
        const auto until_reload = options_.full_reload_interval -
                                  std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - last_reload_);
        const bool alive = until_reload.count() <= 0 ? reload_whole() : wait_and_apply(until_reload);
        if (!alive) {
            conn_.reset();
            listening_.store(false, std::memory_order_release);
            backoff = options_.first_backoff;
        }
    }
}

bool shared_state_listener::connect() {
    auto opened = connection::open(conninfo_);
    if (!opened) {
        failed("connect", opened.error().message);
        return false;
    }
    conn_.emplace(std::move(opened).value());
    // LISTEN before the reload: a change committed in between is then both read and noticed,
    // never neither.
    if (auto listened = conn_->exec("LISTEN " + std::string(shared_state_channel)); !listened) {
        failed("listen", listened.error().message);
        conn_.reset();
        return false;
    }
    if (!reload_whole() || !conn_) {
        conn_.reset();
        return false;
    }
    count(&shared_state_stats::connects);
    listening_.store(true, std::memory_order_release);
    return true;
}

bool shared_state_listener::reload_whole() {
    last_reload_ = steady::now();  // also after a failure: a row that does not decode is not read in a loop
    auto entries = load_catalog(*conn_);
    if (!entries) {
        failed("reload the catalog", entries.error().message);
        return !broken(entries.error(), *conn_);
    }
    auto hooks = load_webhooks(*conn_);
    if (!hooks) {
        failed("reload the webhooks", hooks.error().message);
        return !broken(hooks.error(), *conn_);
    }
    const std::size_t changed = catalog_.replace_remote(std::move(entries).value()) +
                                webhooks_.replace_remote(std::move(hooks).value());
    count(&shared_state_stats::full_reloads);
    if (changed > 0) count(&shared_state_stats::applied, changed);
    return true;
}

bool shared_state_listener::wait_and_apply(std::chrono::milliseconds timeout) {
    PGconn* pg = conn_->get();
    wanted catalog_keys, webhook_keys;
    const auto drain = [&] {
        std::uint64_t received = 0;
        while (PGnotify* notice = PQnotifies(pg)) {
            ++received;
            const bool own = options_.own_backend_pid && notice->be_pid == options_.own_backend_pid();
            if (const auto decoded = own ? std::nullopt : decode_shared_notice(notice->extra)) {
                wanted& into = decoded->table == shared_table::catalog ? catalog_keys : webhook_keys;
                into.whole = into.whole || decoded->whole_table;
                into.keys.insert(decoded->keys.begin(), decoded->keys.end());
            }
            PQfreemem(notice);
        }
        return received;
    };
    // Notices that came with an earlier answer wait in libpq's queue already: no wait for those.
    std::uint64_t received = drain();
    if (received == 0) {
        pollfd fds[2] = {{PQsocket(pg), POLLIN, 0}, {wake_[0], POLLIN, 0}};
        const int ready = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(timeout.count(), 60'000)));
        if (ready < 0) return errno == EINTR;
        if (ready == 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) return true;  // timed out, or stop()
        if (PQconsumeInput(pg) == 0 || PQstatus(pg) != CONNECTION_OK) {
            failed("read notices", PQerrorMessage(pg));
            return false;
        }
        received = drain();
    }
    if (received == 0) return true;
    const bool alive = apply(catalog_keys, webhook_keys);
    // Counted once handled: a reader who sees the count move knows the change is applied here.
    count(&shared_state_stats::notices, received);
    return alive;
}

bool shared_state_listener::apply(wanted& catalog_keys, wanted& webhook_keys) {
    if (catalog_keys.whole || webhook_keys.whole) return reload_whole();
    std::size_t changed = 0;
    if (!catalog_keys.keys.empty()) {
        const std::vector<std::string> ids(catalog_keys.keys.begin(), catalog_keys.keys.end());
        auto rows = load_catalog_entries(*conn_, ids);
        if (!rows) {
            failed("read catalog entries", rows.error().message);
            return !broken(rows.error(), *conn_);
        }
        count(&shared_state_stats::key_loads);
        changed += catalog_.apply_remote(ids, std::move(rows).value());
    }
    if (!webhook_keys.keys.empty()) {
        const std::vector<std::string> ids(webhook_keys.keys.begin(), webhook_keys.keys.end());
        auto rows = load_webhooks_by_id(*conn_, ids);
        if (!rows) {
            failed("read webhooks", rows.error().message);
            return !broken(rows.error(), *conn_);
        }
        count(&shared_state_stats::key_loads);
        changed += webhooks_.apply_remote(ids, std::move(rows).value());
    }
    if (changed > 0) count(&shared_state_stats::applied, changed);
    return true;
}

void shared_state_listener::failed(std::string_view what, const std::string& error) {
    count(&shared_state_stats::failures);
    log_.warn("shared_state_failed", {{"step", what}, {"error", std::string_view(error)}});
}

void shared_state_listener::pause(std::chrono::milliseconds how_long) {
    pollfd wake{wake_[0], POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(how_long.count()));
}

}  // namespace progressd::store
