/* Reference throughput: the same flood pattern as the test guest, written from EL2 directly. */
#include "hypervisor/bench.h"
#include "arch/sysreg.h"
#include "drivers/pl011.h"
#include "hypervisor/log.h"

#ifndef BENCH_DIRECT_BYTES
#define BENCH_DIRECT_BYTES 0
#endif

/* tests/guests/testguest's flood pattern: a newline every 64 bytes, letters otherwise. */
static uint8_t pattern_byte(uint64_t i)
{
    if (i % 64 == 63)
        return '\n';
    return (uint8_t)('A' + ((i % 64) + (i / 64)) % 26);
}

void bench_direct(void)
{
    uint64_t n = BENCH_DIRECT_BYTES;
    if (!n)
        return;
    uint64_t t0 = counter_now();
    for (uint64_t i = 0; i < n; i++) {
        uint8_t b = pattern_byte(i);
        pl011_write_sync(&b, 1);
    }
    uint64_t t1 = counter_now();
    hv_log("bench direct bytes=%lu ticks=%lu freq=%lu", n, t1 - t0, counter_freq());
}
