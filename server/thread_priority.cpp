#include "server/thread_priority.hpp"

#include <sys/resource.h>
#include <unistd.h>

namespace progressd {

bool set_this_thread_nice(int nice) {
    // PRIO_PROCESS with a thread id addresses that thread alone on Linux.
    return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

}  // namespace progressd
