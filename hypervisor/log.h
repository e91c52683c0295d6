/* The hypervisor's own console lines, "[hv] ..." through the multiplexer. */
#ifndef HV_LOG_H
#define HV_LOG_H

#include "hypervisor/lib.h"

void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Configuration or hypervisor bugs only; never reachable from guest input. */
void hv_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Power the whole machine off through firmware PSCI. */
void hv_system_off(void) __attribute__((noreturn));

#endif
