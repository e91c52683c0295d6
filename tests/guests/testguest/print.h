/* Formatted output to the console (a small printf subset). */
#ifndef TESTGUEST_PRINT_H
#define TESTGUEST_PRINT_H

#include <stdarg.h>
#include <stdint.h>

/*
 * Supported: %s %c %d %i %u %x %X %p %% with optional '0' flag, width and the l / ll
 * length modifiers. Output goes through the console's TX buffer (see console_flush).
 */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
void kputs(const char *s); /* no newline added */
void kputc(char c);

#endif
