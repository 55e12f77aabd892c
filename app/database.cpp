#include "app/database.hpp"

#include "app/cluster_backend.hpp"
#include "app/lmdb_backend.hpp"

namespace progressd::app {

database::database(store::lmdb_environment& environment, const database_options& options, const logger& log)
    : durability_(options.durability),
      stores_(options.shards, options.rules, options.webhook_retry),
      backend_(std::make_unique<lmdb_backend>(stores_, environment,
                                              lmdb_backend_options{.data_dir = options.data_dir,
                                                                   .durability = options.durability,
                                                                   .flush_interval = options.flush_interval,
                                                                   .checkpoint_interval = options.checkpoint_interval,
                                                                   .lmdb_max_map_size = options.lmdb_max_map_size},
                                              log)),
      completion_by_type_(stores_.records.rules().has_type_overrides()) {}

database::database(cluster_options cluster, const database_options& options, const logger& log)
    : durability_(options.durability),
      stores_(options.shards, options.rules, options.webhook_retry),
      backend_([&] {
          cluster.durability = options.durability;
          cluster.flush_interval = options.flush_interval;
          return std::make_unique<cluster_backend>(stores_, std::move(cluster), log);
      }()),
      completion_by_type_(stores_.records.rules().has_type_overrides()) {}

}  // namespace progressd::app
