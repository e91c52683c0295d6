/* hv_snprintf (hypervisor/lib.c), compared with the host C library where the formats agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hypervisor/lib.h"

/* The same formatter without the printf attribute, for inputs the compiler would reject. */
static int raw_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

#define CHECK_WITH(fn, expect, ...)                                                                \
    do {                                                                                           \
        char b_[128];                                                                              \
        memset(b_, 'Q', sizeof(b_));                                                               \
        int n_ = fn(b_, sizeof(b_), __VA_ARGS__);                                                  \
        assert_string_equal(b_, expect);                                                           \
        assert_int_equal(n_, strlen(expect));                                                      \
    } while (0)
#define CHECK(expect, ...) CHECK_WITH(hv_snprintf, expect, __VA_ARGS__)

static void test_plain_and_strings(void **state)
{
    (void)state;
    CHECK_WITH(raw_snprintf, "", "");
    CHECK("hello", "hello");
    CHECK("100%", "100%%");
    CHECK("a=xyz.", "a=%s.", "xyz");
    CHECK_WITH(raw_snprintf, "(null)", "%s", (const char *)NULL);
    CHECK("[   ab]", "[%5s]", "ab");
    CHECK("[ab   ]", "[%-5s]", "ab");
    CHECK("[abcdef]", "[%3s]", "abcdef");
    CHECK("c=Z", "c=%c", 'Z');
}

static void test_integers(void **state)
{
    (void)state;
    CHECK("0", "%d", 0);
    CHECK("-1", "%d", -1);
    CHECK("2147483647 -2147483648", "%d %d", 2147483647, (int)-2147483647 - 1);
    CHECK("4294967295", "%u", 4294967295u);
    CHECK("deadbeef", "%x", 0xdeadbeefu);
    CHECK("ffffffffffffffff", "%lx", (unsigned long)~0UL);
    CHECK("18446744073709551615", "%llu", ~0ULL);
    CHECK("-9223372036854775808", "%ld", (long)INT64_MIN);
    CHECK("0x1000", "%p", (void *)0x1000);
}

static void test_width_and_padding(void **state)
{
    (void)state;
    CHECK("[00042]", "[%05d]", 42);
    CHECK("[   42]", "[%5d]", 42);
    CHECK("[42   ]", "[%-5d]", 42);
    CHECK("[  -42]", "[%5d]", -42);
    CHECK("[-42  ]", "[%-5d]", -42);
    CHECK("[0000beef]", "[%08x]", 0xbeefu);
    CHECK("[123456]", "[%03d]", 123456);
}

/* C's rule: the sign comes before the zero padding ("%05d" of -42 is "-0042"). */
static void test_zero_padded_negative(void **state)
{
    (void)state;
    char host[32];
    snprintf(host, sizeof(host), "[%05d]", -42);
    assert_string_equal(host, "[-0042]");
    CHECK("[-0042]", "[%05d]", -42);
}

static void test_truncation(void **state)
{
    (void)state;
    char b[8];
    memset(b, 'Q', sizeof(b));
    int n = hv_snprintf(b, sizeof(b), "%s-%d", "abcdef", 1234);
    assert_int_equal(n, 11); /* the length it wanted */
    assert_string_equal(b, "abcdef-");
    memset(b, 'Q', sizeof(b));
    n = hv_snprintf(b, 1, "xyz");
    assert_int_equal(n, 3);
    assert_int_equal(b[0], 0);
    assert_int_equal(b[1], 'Q');
    n = hv_snprintf(b, 0, "xyz");
    assert_int_equal(n, 3);
    assert_int_equal(b[0], 0); /* untouched from the previous call */
    assert_int_equal(b[1], 'Q');
}

/* A '%' as the last character of the format must not make the formatter read past the NUL. */
static void test_trailing_percent_stops_at_end(void **state)
{
    (void)state;
    /* the bytes after the terminator are readable memory, so an over-read shows up as output */
    static const char fmt[] = {'a', '%', '\0', 'Z', 'Z', '\0'};
    char b[32];
    int n = raw_snprintf(b, sizeof(b), fmt);
    if (strchr(b, 'Z') || n > 2)
        fail_msg("format \"a%%\" produced \"%s\" (length %d): read past the terminator", b, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_strings),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_width_and_padding),
        cmocka_unit_test(test_zero_padded_negative),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_trailing_percent_stops_at_end),
    };
    return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
