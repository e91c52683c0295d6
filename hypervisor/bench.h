/* make bench: the hypervisor's own reference loop, straight to the PL011. */
#ifndef HV_BENCH_H
#define HV_BENCH_H

/* With BENCH_DIRECT_BYTES set at build time, write that many pattern bytes to the UART from EL2
 * and report the counter ticks; otherwise nothing. */
void bench_direct(void);

#endif
