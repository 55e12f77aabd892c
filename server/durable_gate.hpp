#pragma once
// Where the sessions of one I/O thread wait for their writes to become durable (sync mode, or a
// persister falling behind in snapshot mode: app/database.hpp).
//
// Why a gate per thread rather than a persister callback per request: the persister releases a
// group commit of ~25 requests at once, and one callback each meant one post each. On a core
// shared with the persister, every post woke the I/O thread for a single response, and it slept
// again until the persister's next post: two context switches a request (`perf sched timehist`,
// docs/durability.md). The gate holds one registration with the persister at a time, for the newest
// generation waiting, and releases every waiter a commit covered in one post to its thread.
// Waiters that arrive meanwhile register when that post runs, before any waiter resumes, so the
// persister can start their batch while this thread writes the answers.
//
// Thread-safety: async_wait and the gate's state belong to the owning I/O thread; only the
// persister's callback runs elsewhere, and it only posts.

#include "app/write_behind.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace progressd {

class durable_gate {
public:
    durable_gate(boost::asio::io_context& io, app::write_behind& persister) : io_(io), persister_(persister) {}
    durable_gate(const durable_gate&) = delete;
    durable_gate& operator=(const durable_gate&) = delete;

    // Completes with true once `generation` is durable, false when its batch failed. The handler
    // must belong to this gate's io_context: it is called from a handler running there.
    template <class CompletionToken>
    auto async_wait(std::uint64_t generation, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(bool)>(
            [this, generation](auto handler) {
                add(std::make_unique<waiter_for<decltype(handler)>>(generation, std::move(handler)));
            },
            token);
    }

private:
    struct waiter {
        explicit waiter(std::uint64_t g) : generation(g) {}
        virtual ~waiter() = default;
        virtual void complete(bool committed) = 0;
        std::uint64_t generation;
    };
    template <class Handler>
    struct waiter_for final : waiter {
        waiter_for(std::uint64_t g, Handler h) : waiter(g), handler(std::move(h)) {}
        void complete(bool committed) override { std::move(handler)(committed); }
        Handler handler;
    };

    void add(std::unique_ptr<waiter> waiting);
    void register_for(std::uint64_t generation);
    void on_durable(std::uint64_t generation, bool committed);

    boost::asio::io_context& io_;
    app::write_behind& persister_;
    std::vector<std::unique_ptr<waiter>> waiting_;
    std::uint64_t registered_ = 0;  // the generation of the registration outstanding; 0: none
};

}  // namespace progressd
