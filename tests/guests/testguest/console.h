/* Console front end: buffered output and blocking input on top of the virtio driver. */
#ifndef TESTGUEST_CONSOLE_H
#define TESTGUEST_CONSOLE_H

#include <stddef.h>

/* With an interrupt the input wait sleeps in wfi; without one it polls the ring. */
void console_set_irq_driven(int on);
/* Blocks until an input byte is available. Flushes pending output first. */
int console_getc(void);
void console_write(const void *buf, size_t len);
void console_flush(void);

#endif
