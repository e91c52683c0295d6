/* The guest's EL1 virtual timer: its physical PPI is taken at EL2 and forwarded as virtual 27. */
#ifndef HV_VTIMER_H
#define HV_VTIMER_H

void vtimer_irq(void);
/* The guest deactivated virtual PPI 27 (EOI maintenance): unmask the timer output we masked. */
void vtimer_deactivated(void);
/* A fresh vCPU on this CPU: nothing of ours is masked. */
void vtimer_reset(void);

#endif
