#include "pattern.h"

#include "console.h"
#include "crc32.h"
#include "util.h"

/* Fills one 64-byte pattern line: the letters rotate by one position per line. */
static void pattern_line(uint8_t *row, uint64_t line)
{
    uint32_t letter = (uint32_t)(line % 26);

    for (uint32_t col = 0; col < PATTERN_LINE - 1; col++) {
        row[col] = (uint8_t)('A' + letter);
        letter = letter == 25 ? 0 : letter + 1;
    }
    row[PATTERN_LINE - 1] = '\n';
}

uint32_t pattern_emit(uint64_t n)
{
    uint8_t row[PATTERN_LINE];
    uint32_t crc = CRC32_INIT;

    for (uint64_t line = 0; n; line++) {
        uint32_t len = n < PATTERN_LINE ? (uint32_t)n : PATTERN_LINE;

        pattern_line(row, line);
        console_write(row, len); /* buffered: the console sends full TX chunks */
        crc = crc32_update(crc, row, len);
        n -= len;
    }
    return crc32_final(crc);
}

void pattern_fill(uint8_t *dst, uint64_t n)
{
    uint64_t done = 0;

    for (uint64_t line = 0; done < n && done < PATTERN_PERIOD; line++, done += PATTERN_LINE) {
        uint8_t row[PATTERN_LINE];
        uint64_t len = n - done < PATTERN_LINE ? n - done : PATTERN_LINE;

        pattern_line(row, line);
        memcpy(dst + done, row, (size_t)len);
    }
    /* Doubling copies of whole periods: never overlapping, word-sized when dst allows. */
    while (done < n) {
        uint64_t len = n - done < done ? n - done : done;

        memcpy(dst + done, dst, (size_t)len);
        done += len;
    }
}

int pattern_ends_with_newline(uint64_t n)
{
    return n != 0 && n % PATTERN_LINE == 0;
}
