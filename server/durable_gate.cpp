#include "server/durable_gate.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <iterator>

namespace progressd {

namespace net = boost::asio;

void durable_gate::add(std::unique_ptr<waiter> waiting) {
    const std::uint64_t generation = waiting->generation;
    waiting_.push_back(std::move(waiting));
    if (registered_ == 0) register_for(generation);
}

void durable_gate::register_for(std::uint64_t generation) {
    registered_ = generation;
    // The work guard keeps the io_context running while the thread has nothing else to do: a
    // draining thread would otherwise return from run() under its waiting sessions.
    persister_.when_durable(generation, [this, generation, work = net::make_work_guard(io_)](bool committed) mutable {
        net::post(io_, [this, generation, committed, work = std::move(work)]() mutable {
            work.reset();
            on_durable(generation, committed);
        });
    });
}

void durable_gate::on_durable(std::uint64_t generation, bool committed) {
    // A commit covers everything up to the persister's durable generation, often past the one
    // registered; a failure fails only what its batch held, and the rest waits for the retry.
    const std::uint64_t durable = persister_.durable_generation();
    const auto still_waiting = [&](const std::unique_ptr<waiter>& w) {
        return w->generation > durable && (committed || w->generation > generation);
    };
    const auto released = std::stable_partition(waiting_.begin(), waiting_.end(), still_waiting);
    std::vector<std::unique_ptr<waiter>> done(std::make_move_iterator(released),
                                              std::make_move_iterator(waiting_.end()));
    waiting_.erase(released, waiting_.end());
    std::uint64_t newest_left = 0;
    for (const auto& w : waiting_) newest_left = std::max(newest_left, w->generation);
    registered_ = 0;
    if (newest_left != 0) register_for(newest_left);
    // A batch that failed, or (cluster mode) committed without the changes of a partition it
    // lost, fails everything it released: which writes it lost is not known here, and "not
    // acknowledged" is always safe to say of a write that was in fact committed.
    for (auto& w : done) w->complete(committed && w->generation <= durable);
}

}  // namespace progressd
