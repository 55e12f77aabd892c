#include "app/database.hpp"

namespace progressd::app {
database::database(store::lmdb_environment& environment, const database_options& options, const logger& log)
    : durability_(options.durability),
      log_(log),
      environment_(environment),
      // In either mode: a sync-mode run that crashed may have left acknowledged writes only there.
      replayed_(store::replay_write_ahead_log(store::write_ahead_log_paths(options.data_dir), environment_)),
      records_(options.shards, options.rules),
      catalog_(records_.generation_counter()),
      enrolments_(options.shards, records_.generation_counter()),
      assessments_(options.shards, records_.generation_counter()),
      webhooks_(records_.generation_counter()),
      outbox_(records_.generation_counter(), options.webhook_retry),
      persister_(records_, environment_, {options.durability, options.flush_interval, options.lmdb_max_map_size}, log),
      completion_by_type_(records_.rules().has_type_overrides()) {
    if (durability_ == store::durability_mode::sync) {
        write_ahead_.emplace(store::write_ahead_log_paths(options.data_dir), environment_, replayed_.last_sequence);
        persister_.use_write_ahead_log(*write_ahead_);
    }
    persister_.attach(catalog_, environment_.catalog());
    persister_.attach(enrolments_, environment_.enrolments());
    persister_.attach(assessments_, environment_.assessments());
    persister_.attach(webhooks_, environment_.webhooks());
    persister_.attach(outbox_, environment_.outbox());
}

recovery_summary database::recover() {
    recovery_summary loaded;
    loaded.records = store::recover(environment_, records_, log_);
    loaded.catalog = store::recover_catalog(environment_, catalog_, log_);
    loaded.enrolments = store::recover_enrolments(environment_, enrolments_, log_);
    loaded.assessments = store::recover_assessments(environment_, assessments_, log_);
    loaded.webhooks = store::recover_webhooks(environment_, webhooks_, log_);
    loaded.outbox = store::recover_outbox(environment_, outbox_, log_);
    return loaded;
}

}  // namespace progressd::app
