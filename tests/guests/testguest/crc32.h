/* CRC-32 (IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, init and final xor ~0). */
#ifndef TESTGUEST_CRC32_H
#define TESTGUEST_CRC32_H

#include <stddef.h>
#include <stdint.h>

#define CRC32_INIT 0xffffffffu

/* Running CRC: start with CRC32_INIT, feed chunks, finish with crc32_final. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);
static inline uint32_t crc32_final(uint32_t crc)
{
    return crc ^ 0xffffffffu;
}

#endif
