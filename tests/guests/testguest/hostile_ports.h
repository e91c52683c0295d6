/* `hostile ctl`: control messages the multiport device must refuse (hostile_ports.c). */
#ifndef TESTGUEST_HOSTILE_PORTS_H
#define TESTGUEST_HOSTILE_PORTS_H

void hostile_ctl(const char *args);

#endif
