/*
 * The flood/bench test pattern: byte i is '\n' if i % 64 == 63, otherwise
 * 'A' + ((i % 64) + (i / 64)) % 26. Host-side tests regenerate it to verify output.
 */
#ifndef TESTGUEST_PATTERN_H
#define TESTGUEST_PATTERN_H

#include <stdint.h>

#define PATTERN_LINE 64u
/* The letters repeat every 26 lines, so the whole pattern is copies of its first period. */
#define PATTERN_PERIOD (26u * PATTERN_LINE)

/* Writes pattern bytes [0, n) to the console; returns their (final) CRC-32. */
uint32_t pattern_emit(uint64_t n);
/* Stores pattern bytes [0, n) at dst (no console output). */
void pattern_fill(uint8_t *dst, uint64_t n);
/* 1 if the last of n pattern bytes is '\n'. */
int pattern_ends_with_newline(uint64_t n);

#endif
