#include "server/load_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace progressd {

namespace net = boost::asio;

net::awaitable<void> load_gate::wait(std::chrono::steady_clock::duration bound) {
    if (open_) co_return;
    net::steady_timer timer(io_, bound);
    const auto slot = waiters_.insert(waiters_.end(), &timer);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));  // expired or cancelled by open()
    waiters_.erase(slot);
}

void load_gate::open() {
    open_ = true;
    for (auto* timer : waiters_) timer->cancel();
}

bool is_probe_target(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    constexpr std::array<std::string_view, 5> probes{"/livez", "/healthz", "/readyz", "/metrics", "/openapi.json"};
    for (const auto probe : probes) {
        if (path == probe) return true;
    }
    return false;
}

}  // namespace progressd
