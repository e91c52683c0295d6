/* Token bucket used by the hypervisor's guest-fault log lines. */
#include "hypervisor/ratelimit.h"

bool ratelimit_allow(struct ratelimit *rl, uint64_t now, uint64_t interval, uint32_t *suppressed)
{
    if (!rl->primed) {
        rl->primed = true;
        rl->tokens = RATELIMIT_BURST;
        rl->last = now;
    }
    if (interval && now - rl->last >= interval) {
        uint64_t add = (now - rl->last) / interval;
        rl->tokens = (uint32_t)MIN((uint64_t)RATELIMIT_BURST, rl->tokens + add);
        rl->last += add * interval;
    }
    *suppressed = 0;
    if (rl->tokens == 0) {
        rl->suppressed++;
        return false;
    }
    rl->tokens--;
    *suppressed = rl->suppressed;
    rl->suppressed = 0;
    return true;
}
