#include "console.h"

#include "arch.h"
#include "virtio_console.h"

static int irq_driven;

void console_set_irq_driven(int on)
{
    irq_driven = on;
}

void console_write(const void *buf, size_t len)
{
    vcon_write(buf, len);
}

void console_flush(void)
{
    vcon_flush();
}

/*
 * IRQs are masked everywhere except in this function's wait window, so the IRQ handler
 * never races with ring updates made by the rest of the program. The lost-wakeup race
 * (input arriving between the check and the wfi) is harmless: the check runs with IRQs
 * masked, and wfi still wakes for an interrupt that is pending but masked; unmasking
 * then lets the handler run.
 */
int console_getc(void)
{
    int c;

    for (;;) {
        c = vcon_getc();
        if (c >= 0)
            return c;
        console_flush(); /* whatever the user should see before we wait */
        irq_mask();
        vcon_poll_rx(); /* also picks up elements a full FIFO left behind */
        c = vcon_getc();
        if (c < 0 && irq_driven)
            wfi();
        irq_unmask(); /* a pending console IRQ is taken here */
        irq_mask();
        if (c >= 0)
            return c;
        if (!irq_driven)
            cpu_relax();
    }
}
