/* The guest's EL1 virtual timer: its physical PPI is taken at EL2 and forwarded as virtual 27. */
#ifndef HV_VTIMER_H
#define HV_VTIMER_H

void vtimer_irq(void);

#endif
