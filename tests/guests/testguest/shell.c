#include "shell.h"

#include "console.h"
#include "print.h"
#include "util.h"

static const char *zone_name = "guest";
static char line[SHELL_LINE_MAX + 1];
static unsigned line_len;
static char last_eol; /* CR or LF that ended the previous line, 0 after any other byte */

const char *shell_zone(void)
{
    return zone_name;
}

static void prompt(void)
{
    kprintf("%s> ", zone_name);
}

static const struct shell_cmd *lookup(const char *word, unsigned len)
{
    for (unsigned i = 0; i < shell_command_count; i++) {
        const char *name = shell_commands[i].name;

        if (strlen(name) == len && !memcmp(name, word, len))
            return &shell_commands[i];
    }
    return 0;
}

static void execute(const char *cmdline)
{
    unsigned wl = 0;
    const struct shell_cmd *cmd;

    while (cmdline[wl] && cmdline[wl] != ' ')
        wl++;
    cmd = lookup(cmdline, wl);
    if (!cmd) {
        kprintf("%s: %s\r\n", zone_name, cmdline);
        return;
    }
    cmd->fn(cmdline[wl] ? cmdline + wl + 1 : cmdline + wl);
}

static void end_of_line(void)
{
    kputs("\r\n");
    line[line_len] = '\0';
    if (line_len)
        execute(line);
    line_len = 0;
    prompt();
}

static void erase_char(void)
{
    if (!line_len)
        return;
    line_len--;
    kputs("\b \b");
}

static void add_char(char c)
{
    if (line_len >= SHELL_LINE_MAX)
        return; /* truncate: the user sees the echo stop */
    line[line_len++] = c;
    kputc(c);
}

static void feed(char c)
{
    if (c == '\r' || c == '\n') {
        /* CR LF and LF CR count as a single line end. */
        if (last_eol && c != last_eol) {
            last_eol = 0;
            return;
        }
        last_eol = c;
        end_of_line();
        return;
    }
    last_eol = 0;
    if (c == 0x7f || c == 0x08)
        erase_char();
    else if (c >= 0x20 && c < 0x7f)
        add_char(c);
    /* other control bytes and non-ASCII are ignored */
}

_Noreturn void shell_run(const char *zone)
{
    if (zone && *zone)
        zone_name = zone;
    kprintf("hello from %s\r\n", zone_name);
    prompt();
    for (;;)
        feed((char)console_getc());
}
