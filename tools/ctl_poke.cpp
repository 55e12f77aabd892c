#include "tools/ctl_poke.hpp"

#include <iostream>
#include <memory>

namespace progressd::tools {
namespace {

struct poke_options {
    std::string data_dir;
    std::string database;
    std::string key_hex;
    std::string value_hex;
};

int run_poke(const poke_options& options) {
    const auto id = database_by_name(options.database);
    const auto key = from_hex(options.key_hex);
    const auto value = from_hex(options.value_hex);
    if (!id || !key || key->empty() || !value) {
        std::cerr << "progressctl poke: --database must name a database, --key and --value be hex\n";
        return ctl_cannot_run;
    }
    try {
        const auto environment = store::open_data_dir(options.data_dir, std::size_t{1} << 20);
        const MDB_dbi dbis[] = {environment.records(),  environment.catalog(), environment.enrolments(),
                                environment.assessments(), environment.webhooks(), environment.outbox(),
                                environment.meta()};
        store::lmdb_transaction txn;
        if (const int rc = environment.begin_write(txn); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_begin", rc);
        MDB_val k = store::as_val(*key);
        MDB_val v = store::as_val(*value);
        if (const int rc = mdb_put(txn.get(), dbis[static_cast<std::size_t>(*id)], &k, &v, 0); rc != MDB_SUCCESS) {
            throw store::lmdb_error("mdb_put", rc);
        }
        if (const int rc = txn.commit(); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_commit", rc);
    } catch (const std::exception& error) {
        std::cerr << "progressctl poke: " << error.what() << '\n';
        return ctl_cannot_run;
    }
    return ctl_ok;
}

}  // namespace

void add_poke_command(CLI::App& app, command_action& action) {
    auto options = std::make_shared<poke_options>();
    auto* command = app.add_subcommand("poke", "write raw bytes as one value (tests only)");
    command->group("");  // hidden: a test fixture, not an operator's tool
    command->add_option("--data-dir", options->data_dir)->required();
    command->add_option("--database", options->database)->required();
    command->add_option("--key", options->key_hex, "hex")->required();
    command->add_option("--value", options->value_hex, "hex")->required();
    command->callback([options, &action] { action = [options] { return run_poke(*options); }; });
}

}  // namespace progressd::tools
