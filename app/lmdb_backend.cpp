#include "app/lmdb_backend.hpp"

namespace progressd::app {

lmdb_backend::lmdb_backend(stores& data, store::lmdb_environment& environment, const lmdb_backend_options& options,
                           const logger& log)
    : data_(data),
      log_(log),
      environment_(environment),
      replayed_(store::replay_write_ahead_log(store::write_ahead_log_paths(options.data_dir), environment_)),
      write_ahead_(store::write_ahead_log_paths(options.data_dir), environment_, replayed_.last_sequence),
      persister_(data.records, environment_,
                 {.mode = options.durability,
                  .flush_interval = options.flush_interval,
                  .max_map_size = options.lmdb_max_map_size,
                  .checkpoint_interval = options.checkpoint_interval},
                 log) {
    // Both modes: a batch is a frame appended to the log, LMDB gets it in the next checkpoint
    // (store/persist/persister.hpp).
    persister_.use_write_ahead_log(write_ahead_);
    persister_.attach(data.catalog, environment_.catalog());
    persister_.attach(data.enrolments, environment_.enrolments());
    persister_.attach(data.assessments, environment_.assessments());
    persister_.attach(data.webhooks, environment_.webhooks());
    persister_.attach(data.outbox, environment_.outbox());
}

recovery_summary lmdb_backend::recover() {
    recovery_summary loaded;
    loaded.records = store::recover(environment_, data_.records, log_);
    loaded.catalog = store::recover_catalog(environment_, data_.catalog, log_);
    loaded.enrolments = store::recover_enrolments(environment_, data_.enrolments, log_);
    loaded.assessments = store::recover_assessments(environment_, data_.assessments, log_);
    loaded.webhooks = store::recover_webhooks(environment_, data_.webhooks, log_);
    loaded.outbox = store::recover_outbox(environment_, data_.outbox, log_);
    return loaded;
}

write_behind_stats lmdb_backend::stats() const {
    const auto s = persister_.stats();
    return {.flushes = s.flushes,
            .failures = s.failures,
            .written = s.records_written,
            .log_frames = s.log_frames,
            .checkpoints = s.checkpoints,
            .last_flush_duration_us = s.last_flush_duration_us,
            .last_checkpoint_duration_us = s.last_checkpoint_duration_us,
            .flush_durations = s.flush_durations,
            .last_success_ms = s.last_success_ms,
            .map_size = s.map_size,
            .used_bytes = s.used_bytes,
            .durable_generation = s.durable_generation};
}

}  // namespace progressd::app
