/* The `ports` and `port ...` shell commands (ports_cmd.c). */
#ifndef TESTGUEST_PORTS_CMD_H
#define TESTGUEST_PORTS_CMD_H

void cmd_ports(const char *args);
void cmd_port(const char *args);

#endif
