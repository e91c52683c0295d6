#include "print.h"

#include "console.h"
#include "util.h"

struct fmt_spec {
    char pad;       /* ' ' or '0' */
    unsigned width; /* minimum field width */
    int lng;        /* number of 'l' modifiers */
};

void kputc(char c)
{
    console_write(&c, 1);
}

void kputs(const char *s)
{
    console_write(s, strlen(s));
}

static void put_padded(const char *s, unsigned len, const struct fmt_spec *sp)
{
    for (unsigned i = len; i < sp->width; i++)
        kputc(sp->pad);
    console_write(s, len);
}

static void put_unsigned(uint64_t v, unsigned radix, int upper, const struct fmt_spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    unsigned n = sizeof(buf);

    do {
        buf[--n] = digits[v % radix];
        v /= radix;
    } while (v);
    put_padded(buf + n, (unsigned)sizeof(buf) - n, sp);
}

static void put_signed(int64_t v, const struct fmt_spec *sp)
{
    struct fmt_spec rest = *sp;

    if (v < 0) {
        kputc('-');
        if (rest.width)
            rest.width--;
        put_unsigned((uint64_t)0 - (uint64_t)v, 10, 0, &rest);
        return;
    }
    put_unsigned((uint64_t)v, 10, 0, sp);
}

static uint64_t arg_unsigned(va_list *ap, int lng)
{
    return lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int lng)
{
    return lng ? va_arg(*ap, long) : va_arg(*ap, int);
}

/* Parses flags/width/length after '%'; returns the conversion character's position. */
static const char *parse_spec(const char *f, struct fmt_spec *sp)
{
    sp->pad = ' ';
    sp->width = 0;
    sp->lng = 0;
    if (*f == '0') {
        sp->pad = '0';
        f++;
    }
    for (; *f >= '0' && *f <= '9'; f++)
        sp->width = sp->width * 10 + (unsigned)(*f - '0');
    for (; *f == 'l'; f++)
        sp->lng++;
    return f;
}

static void convert(char conv, const struct fmt_spec *sp, va_list *ap)
{
    const char *s;
    char c;

    switch (conv) {
    case 'd':
    case 'i':
        put_signed(arg_signed(ap, sp->lng), sp);
        break;
    case 'u':
        put_unsigned(arg_unsigned(ap, sp->lng), 10, 0, sp);
        break;
    case 'x':
    case 'X':
        put_unsigned(arg_unsigned(ap, sp->lng), 16, conv == 'X', sp);
        break;
    case 'p':
        kputs("0x");
        put_unsigned((uint64_t)(uintptr_t)va_arg(*ap, void *), 16, 0, sp);
        break;
    case 's':
        s = va_arg(*ap, const char *);
        s = s ? s : "(null)";
        put_padded(s, (unsigned)strlen(s), sp);
        break;
    case 'c':
        c = (char)va_arg(*ap, int);
        put_padded(&c, 1, sp);
        break;
    default: /* '%' and anything unknown are printed literally */
        kputc(conv);
        break;
    }
}

void kvprintf(const char *fmt, va_list ap)
{
    struct fmt_spec sp;
    va_list aq;

    va_copy(aq, ap); /* va_list may be an array type: pass a pointer to a local copy */
    while (*fmt) {
        const char *run = fmt;

        while (*fmt && *fmt != '%')
            fmt++;
        console_write(run, (size_t)(fmt - run));
        if (!*fmt)
            break;
        fmt = parse_spec(fmt + 1, &sp);
        if (!*fmt)
            break;
        convert(*fmt++, &sp, &aq);
    }
    va_end(aq);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}
