/* Hostile test commands (see hostile.c): the guest misbehaves on purpose. */
#ifndef TESTGUEST_HOSTILE_H
#define TESTGUEST_HOSTILE_H

void cmd_hostile(const char *args);

#endif
