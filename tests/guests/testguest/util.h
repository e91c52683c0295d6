/* Minimal freestanding string/memory helpers. */
#ifndef TESTGUEST_UTIL_H
#define TESTGUEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* gcc may emit calls to these for struct copies/initialisation, so they keep libc names. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

int str_eq(const char *a, const char *b);
/* Parses a decimal number surrounded by optional spaces; returns 0 on success. */
int parse_u64(const char *s, uint64_t *out);
const char *skip_spaces(const char *s);

#endif
