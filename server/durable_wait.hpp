#pragma once
// Awaiting the persister's group commit from a coroutine (sync durability).
//
// The persister calls back on its own thread; the completion is posted back to the awaiting
// coroutine's executor, and a work guard keeps that io_context running meanwhile (otherwise a
// draining thread with nothing else to do would return from run() under the waiting session).

#include "store/persister.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <memory>

namespace progressd {

template <class CompletionToken>
auto async_wait_durable(store::persister& persister, std::uint64_t generation, CompletionToken&& token) {
    namespace net = boost::asio;
    return net::async_initiate<CompletionToken, void(bool)>(
        [&persister, generation](auto handler) {
            using handler_type = decltype(handler);
            auto work = net::make_work_guard(net::get_associated_executor(handler));
            // std::function needs a copyable callable; the handler itself is move-only.
            auto shared = std::make_shared<handler_type>(std::move(handler));
            persister.when_durable(generation, [shared, work](bool committed) mutable {
                auto executor = work.get_executor();
                net::post(executor, [shared, work = std::move(work), committed]() mutable {
                    auto completion = std::move(*shared);
                    work.reset();
                    completion(committed);
                });
            });
        },
        token);
}

}  // namespace progressd
