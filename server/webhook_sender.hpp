#pragma once
// Delivers the outbox's webhook deliveries (store/outbox.hpp) on its own thread, so no request
// ever waits on a receiver. Every poll_interval it takes the deliveries that are due and durable
// and POSTs each one (webhook_payload.hpp: JSON body, HMAC signature) with a deadline; a 2xx
// answer removes it from the outbox, anything else schedules a retry with backoff, and the last
// allowed failure deactivates the webhook with the reason (as Skilljar's deactivate_reason).
//
// Thread-safety: start and stop belong to main; everything else runs on the sender's thread.

#include "common/log.hpp"
#include "store/outbox.hpp"
#include "app/write_behind.hpp"
#include "store/webhooks.hpp"

#include <chrono>
#include <memory>

namespace progressd {

struct webhook_sender_options {
    std::chrono::milliseconds attempt_timeout{10000};
    std::chrono::milliseconds poll_interval{100};
    std::size_t max_in_flight = 32;
};

class webhook_sender {
public:
    webhook_sender(store::webhook_registry& webhooks, store::event_outbox& outbox, const app::write_behind& persister,
                   const logger& log, webhook_sender_options options);
    ~webhook_sender();
    webhook_sender(const webhook_sender&) = delete;
    webhook_sender& operator=(const webhook_sender&) = delete;

    void start();
    // Stops at once; deliveries in flight stay in the outbox and are sent again after a restart
    // (at least once).
    void stop();

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace progressd
