/* Line-oriented command shell. */
#ifndef TESTGUEST_SHELL_H
#define TESTGUEST_SHELL_H

#define SHELL_LINE_MAX 4096 /* longer input lines are truncated (extra bytes not echoed) */

struct shell_cmd {
    const char *name;  /* first word of the line */
    const char *usage; /* shown by help */
    const char *help;
    /* args: the rest of the line after "name " (may be empty, never NULL) */
    void (*fn)(const char *args);
};

/* The command table lives in commands.c; add new commands there. */
extern const struct shell_cmd shell_commands[];
extern const unsigned shell_command_count;

_Noreturn void shell_run(const char *zone);
const char *shell_zone(void);

#endif
