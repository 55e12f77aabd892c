#include "app/resident_users.hpp"

#include "store/partition.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/user_state_rows.hpp"

#include <algorithm>
#include <bitset>
#include <optional>
#include <utility>

namespace progressd::app {
namespace {

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

constexpr std::chrono::milliseconds first_backoff{100};

}  // namespace

// A loader thread's connection, opened on first use and after a failure no sooner than its
// backoff allows: meanwhile loads fail at once rather than queue behind an unreachable server.
struct resident_users::loader {
    std::optional<store::connection> conn;
    std::chrono::milliseconds backoff{0};
    std::chrono::steady_clock::time_point retry_at{};

    void failed(std::chrono::milliseconds max_backoff) {
        conn.reset();
        backoff = std::min(std::max(backoff * 2, first_backoff), max_backoff);
        retry_at = std::chrono::steady_clock::now() + backoff;
    }
};

resident_users::resident_users(store::progress_store& records, store::enrolment_store& enrolments,
                               store::assessment_store& assessments, std::string conninfo, resident_options options,
                               durable_generation_fn durable_generation, const logger& log)
    : records_(records),
      enrolments_(enrolments),
      assessments_(assessments),
      conninfo_(std::move(conninfo)),
      options_(std::move(options)),
      durable_generation_(std::move(durable_generation)),
      log_(log),
      shards_(new shard[shard_count]),
      epochs_(new std::atomic<std::uint64_t>[store::partition_count]) {
    for (std::uint32_t p = 0; p < store::partition_count; ++p) epochs_[p].store(0, std::memory_order_relaxed);
}

resident_users::~resident_users() { stop(); }

void resident_users::start() {
    const std::size_t loaders = std::max<std::size_t>(1, options_.loaders);
    for (std::size_t i = 0; i < loaders; ++i) threads_.emplace_back([this] { run_loader(); });
    threads_.emplace_back([this] { run_janitor(); });
}

void resident_users::stop() {
    {
        std::lock_guard lock(loads_mutex_);
        stopping_ = true;
    }
    {
        std::lock_guard lock(janitor_mutex_);
        janitor_stopping_ = true;
    }
    loads_wake_.notify_all();
    janitor_wake_.notify_all();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    // Loads no loader took: their waiters must hear an answer.
    std::unordered_map<std::string, pending_load> left;
    {
        std::lock_guard lock(loads_mutex_);
        left.swap(pending_);
        queue_.clear();
    }
    for (auto& [user, pending] : left) {
        for (auto& done : pending.waiters) done(false);
    }
}

resident_users::shard& resident_users::shard_for(std::string_view user_id) const {
    return shards_[store::shard_index(user_id, shard_count)];
}

bool resident_users::touch(std::string_view user_id) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const auto found = s.users.find(user_id);
    if (found == s.users.end()) return false;
    found->second.touched_ms = steady_ms();
    return true;
}

bool resident_users::resident(std::string_view user_id) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    return s.users.contains(user_id);
}

void resident_users::load(std::string_view user_id, std::function<void(bool ok)> done) {
    std::unique_lock lock(loads_mutex_);
    if (stopping_) {
        lock.unlock();
        done(false);
        return;
    }
    auto [pending, created] = pending_.try_emplace(std::string(user_id));
    pending->second.waiters.push_back(std::move(done));
    if (!created) {
        shared_waits_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // Taken now, before any query: a drop from here on makes what the query reads stale.
    pending->second.epoch = epochs_[store::partition_of(user_id)].load(std::memory_order_acquire);
    queue_.push_back(pending->first);
    lock.unlock();
    loads_wake_.notify_one();
}

void resident_users::run_loader() {
    loader self;
    std::unique_lock lock(loads_mutex_);
    for (;;) {
        loads_wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        const std::string user_id = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        load_one(self, user_id);
        lock.lock();
    }
}

void resident_users::load_one(loader& self, const std::string& user_id) {
    // Loaded by an earlier load whose waiters were answered before this one was queued.
    if (resident(user_id)) return finish(user_id, true);
    if (!self.conn) {
        if (std::chrono::steady_clock::now() < self.retry_at) {
            load_failures_.fetch_add(1, std::memory_order_relaxed);
            return finish(user_id, false);
        }
        auto opened = store::connection::open(conninfo_);
        if (!opened) {
            self.failed(options_.max_backoff);
            log_.warn("user_load_failed", {{"error", std::string_view(opened.error().message)},
                                           {"retry_ms", std::int64_t(self.backoff.count())}});
            load_failures_.fetch_add(1, std::memory_order_relaxed);
            return finish(user_id, false);
        }
        self.conn = std::move(opened).value();
        self.backoff = std::chrono::milliseconds{0};
    }
    std::uint64_t epoch = 0;
    {
        std::lock_guard lock(loads_mutex_);
        epoch = pending_.at(user_id).epoch;  // only finish() removes it, and only this thread finishes it
    }
    loads_.fetch_add(1, std::memory_order_relaxed);
    auto state = store::load_user_state(*self.conn, user_id);
    if (!state) {
        if (state.error().code == store::pg_errc::connection_failed) self.failed(options_.max_backoff);
        log_.warn("user_load_failed", {{"error", std::string_view(state.error().message)}});
        load_failures_.fetch_add(1, std::memory_order_relaxed);
        return finish(user_id, false);
    }
    if (options_.before_install) options_.before_install(user_id);
    finish(user_id, install(user_id, epoch, state.value()));
}

bool resident_users::install(const std::string& user_id, std::uint64_t epoch, store::loaded_user_state& state) {
    const std::uint32_t partition = store::partition_of(user_id);
    shard& s = shard_for(user_id);
    // Held while the stores fill, so a touch sees the user whole or not at all, and a drop either
    // bumped the epoch before the check below or removes the user after this.
    std::lock_guard lock(s.mutex);
    if (epochs_[partition].load(std::memory_order_acquire) != epoch) {
        stale_loads_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (s.users.contains(user_id)) return true;
    // Something of a user that is not resident (a write that raced a drop of its partition) is
    // no one's state: PostgreSQL's replaces it whole.
    if (estimate_bytes(user_id) != 0) {
        log_.warn("stray_user_state_dropped", {{"partition", std::int64_t(partition)}});
        records_.drop_user(user_id);
        enrolments_.drop_user(user_id);
        assessments_.drop_user(user_id);
    }
    for (auto& loaded : state.records) records_.load(user_id, std::move(loaded.key), loaded.record);
    for (auto& loaded : state.enrolments) enrolments_.load(user_id, std::move(loaded.key), loaded.value);
    for (auto& loaded : state.assessments) assessments_.load(user_id, std::move(loaded.key), std::move(loaded.state));
    const std::size_t bytes = estimate_bytes(user_id);
    s.users.emplace(user_id, entry{partition, bytes, steady_ms()});
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    users_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void resident_users::finish(const std::string& user_id, bool ok) {
    std::vector<std::function<void(bool)>> waiters;
    {
        std::lock_guard lock(loads_mutex_);
        const auto pending = pending_.find(user_id);
        if (pending == pending_.end()) return;
        waiters.swap(pending->second.waiters);
        pending_.erase(pending);
    }
    for (auto& done : waiters) done(ok);
}

std::size_t resident_users::estimate_bytes(std::string_view user_id) const {
    return records_.user_bytes(user_id) + enrolments_.user_bytes(user_id) + assessments_.user_bytes(user_id);
}

void resident_users::drop_partitions(std::span<const std::uint32_t> partitions) {
    std::bitset<store::partition_count> gone;
    for (const std::uint32_t partition : partitions) {
        if (partition >= store::partition_count) continue;
        gone.set(partition);
        // Before the users go: a load that read before this installs nothing (see install).
        epochs_[partition].fetch_add(1, std::memory_order_acq_rel);
    }
    if (gone.none()) return;
    for (std::size_t i = 0; i < shard_count; ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        for (auto user = s.users.begin(); user != s.users.end();) {
            if (!gone.test(user->second.partition)) {
                ++user;
                continue;
            }
            records_.drop_user(user->first);
            enrolments_.drop_user(user->first);
            assessments_.drop_user(user->first);
            bytes_.fetch_sub(user->second.bytes, std::memory_order_relaxed);
            users_.fetch_sub(1, std::memory_order_relaxed);
            drops_.fetch_add(1, std::memory_order_relaxed);
            user = s.users.erase(user);
        }
    }
}

void resident_users::run_janitor() {
    std::unique_lock lock(janitor_mutex_);
    while (!janitor_wake_.wait_for(lock, options_.janitor_period, [this] { return janitor_stopping_; })) {
        if (options_.max_bytes == 0) continue;
        lock.unlock();
        evict_coldest();
        lock.lock();
    }
}

void resident_users::evict_coldest() {
    // Each user's estimate is taken again (its writes since its load may have grown it), and the
    // users idle long enough are the candidates, coldest first.
    const std::int64_t idle_before = steady_ms() - options_.min_idle.count();
    std::vector<std::pair<std::int64_t, std::string>> cold;
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count; ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        for (auto& [user_id, user] : s.users) {
            const std::size_t bytes = estimate_bytes(user_id);
            if (bytes >= user.bytes) bytes_.fetch_add(bytes - user.bytes, std::memory_order_relaxed);
            else bytes_.fetch_sub(user.bytes - bytes, std::memory_order_relaxed);
            user.bytes = bytes;
            total += bytes;
            if (user.touched_ms < idle_before) cold.emplace_back(user.touched_ms, user_id);
        }
    }
    if (total <= options_.max_bytes) return;
    std::sort(cold.begin(), cold.end());
    std::size_t refused = 0;
    for (const auto& [touched, user_id] : cold) {
        if (bytes_.load(std::memory_order_relaxed) <= options_.max_bytes) break;
        if (!evict(user_id, idle_before)) ++refused;
    }
    if (bytes_.load(std::memory_order_relaxed) > options_.max_bytes) {
        log_.warn("cache_over_bound", {{"bytes", std::int64_t(bytes_.load(std::memory_order_relaxed))},
                                       {"max_bytes", std::int64_t(options_.max_bytes)},
                                       {"not_evictable", std::int64_t(refused)}});
    }
}

bool resident_users::evict(const std::string& user_id, std::int64_t idle_before) {
    shard& s = shard_for(user_id);
    // Held throughout: a touch waits, then finds the user gone (and loads it) or still here.
    std::lock_guard lock(s.mutex);
    const auto user = s.users.find(user_id);
    if (user == s.users.end() || user->second.touched_ms >= idle_before) return false;
    const std::uint64_t durable = durable_generation_();
    if (!records_.evictable(user_id, durable) || !enrolments_.evictable(user_id, durable) ||
        !assessments_.evictable(user_id, durable)) {
        return false;
    }
    // Each store decides again under its own lock; should one refuse after another took its
    // part (a write that broke the protocol), what was taken goes back: it was committed, so
    // putting it back clean is exact.
    auto enrolments = enrolments_.evict(user_id, durable);
    if (!enrolments) return false;
    const auto put_back = [&](auto& store, auto& entries) {
        for (auto& [key, value] : entries) store.load(user_id, key, std::move(value));
    };
    auto assessments = assessments_.evict(user_id, durable);
    if (!assessments) {
        put_back(enrolments_, *enrolments);
        return false;
    }
    if (!records_.evict(user_id, durable)) {
        put_back(enrolments_, *enrolments);
        put_back(assessments_, *assessments);
        return false;
    }
    bytes_.fetch_sub(user->second.bytes, std::memory_order_relaxed);
    users_.fetch_sub(1, std::memory_order_relaxed);
    evictions_.fetch_add(1, std::memory_order_relaxed);
    s.users.erase(user);
    return true;
}

resident_stats resident_users::stats() const {
    return {.users = users_.load(std::memory_order_relaxed),
            .bytes = bytes_.load(std::memory_order_relaxed),
            .loads = loads_.load(std::memory_order_relaxed),
            .load_failures = load_failures_.load(std::memory_order_relaxed),
            .stale_loads = stale_loads_.load(std::memory_order_relaxed),
            .shared_waits = shared_waits_.load(std::memory_order_relaxed),
            .evictions = evictions_.load(std::memory_order_relaxed),
            .drops = drops_.load(std::memory_order_relaxed)};
}

}  // namespace progressd::app
