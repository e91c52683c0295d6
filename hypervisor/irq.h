/* Physical interrupts taken at EL2. */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#define SGI_KICK 0 /* "look at your vCPU's state": new virtual interrupts, stop or start */

void irq_handle(void);

#endif
