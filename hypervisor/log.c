/* Hypervisor log lines and fatal stops. */
#include "hypervisor/log.h"
#include "arch/psci_call.h"
#include "arch/sysreg.h"
#include "hypervisor/config.h"
#include "hypervisor/mux.h"

void hv_log(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    mux_hv_line(line);
}

void hv_panic(const char *fmt, ...)
{
    char line[200];
    int n = hv_snprintf(line, sizeof(line), "PANIC: ");
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    mux_emergency_line(line); /* the multiplexer's lock may be ours: write past it */
    for (;;)
        wfi();
}

void hv_system_off(void)
{
    /* A board without PSCI firmware has its own way (the Raspberry Pi: the watchdog). */
    if (platform.power_off)
        platform.power_off();
    else
        psci_fw_system_off();
    for (;;)
        wfi();
}
