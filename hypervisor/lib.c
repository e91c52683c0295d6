/* Freestanding C library subset. The compiler may emit calls to memcpy/memset itself. */
#include "hypervisor/lib.h"

#ifdef HOST_TEST
uint64_t gmem_test_syncs;
#endif

#ifndef HOST_TEST
void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    /* Word copies when both sides are aligned: image loading copies tens of MiB. */
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)d = *(const uint64_t *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}
#endif

struct outbuf {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct outbuf *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct outbuf *o, uint64_t v, unsigned base, int width, bool zero, bool left,
                    bool neg)
{
    char tmp[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    int pad = width > n + neg ? width - n - neg : 0;
    /* The sign goes before zero padding ("-0042") but after space padding ("  -42"). */
    if (!left && !zero)
        while (pad-- > 0)
            put(o, ' ');
    if (neg)
        put(o, '-');
    if (!left && zero)
        while (pad-- > 0)
            put(o, '0');
    while (n)
        put(o, tmp[--n]);
    if (left)
        while (pad-- > 0)
            put(o, ' ');
}

static void put_str(struct outbuf *o, const char *s, int width, bool left)
{
    int n = (int)strlen(s);
    int pad = width > n ? width - n : 0;
    if (!left)
        while (pad-- > 0)
            put(o, ' ');
    while (*s)
        put(o, *s++);
    if (left)
        while (pad-- > 0)
            put(o, ' ');
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct outbuf o = {buf, size, 0};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        if (!*fmt)
            break; /* a lone '%' at the end: nothing to convert */
        bool left = false, zero = false;
        int width = 0, lng = 0;
        if (*fmt == '-')
            left = true, fmt++;
        if (*fmt == '0')
            zero = true, fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            lng++, fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            put_str(&o, s ? s : "(null)", width, left);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, zero, left, v < 0);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            put_num(&o, v, *fmt == 'u' ? 10 : 16, width, zero, left, false);
            break;
        }
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16, 0, false, false, false);
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            put(&o, '?');
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
