/* Token bucket for log lines: a burst, then one per interval, with a count of what was held back.
 */
#ifndef HV_RATELIMIT_H
#define HV_RATELIMIT_H

#include "hypervisor/lib.h"

struct ratelimit {
    uint64_t last; /* time of the last refill, in counter ticks */
    uint32_t tokens;
    uint32_t suppressed;
    bool primed;
};

#define RATELIMIT_BURST 20

/* May we log now? *suppressed receives the number of lines dropped since the last allowed one. */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now, uint64_t interval, uint32_t *suppressed);

#endif
