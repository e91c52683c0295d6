/*
 * Zone-to-zone links (hypervisor/port_link.c): the bounded ring per direction, with a writer and
 * a reader on two threads as on two CPUs, and the wake-up handshake that must never lose the
 * writer's wake-up.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hypervisor/port_link.h"

static struct link lnk;

static uint8_t stream(uint64_t i)
{
    return (uint8_t)(i * 2654435761u >> 11);
}

static void attach(void)
{
    memset(&lnk, 0, sizeof(lnk));
    assert_true(link_attach(&lnk, 0, &lnk, 0));
    assert_false(link_attach(&lnk, 0, &lnk, 1)); /* an end is taken once */
    assert_false(link_complete(&lnk));
    assert_true(link_attach(&lnk, 1, &lnk, 0));
    assert_true(link_complete(&lnk));
}

static void test_bounded_and_in_order(void **state)
{
    (void)state;
    uint8_t buf[LINK_BUF + 100];
    attach();
    for (uint32_t i = 0; i < sizeof(buf); i++)
        buf[i] = stream(i);
    /* End 0 writes more than the ring holds: it takes LINK_BUF and marks itself waiting. */
    assert_int_equal(link_write(&lnk, 0, buf, sizeof(buf)), LINK_BUF);
    assert_int_equal(link_held(&lnk, 1), LINK_BUF);
    assert_int_equal(link_held(&lnk, 0), 0); /* the other direction is apart */
    const uint8_t *p;
    uint32_t n = link_peek(&lnk, 1, &p);
    assert_int_equal(n, LINK_BUF);
    assert_memory_equal(p, buf, 100);
    /* Taking bytes reports the waiting writer once. */
    assert_true(link_consume(&lnk, 1, 100));
    assert_int_equal(link_write(&lnk, 0, buf + LINK_BUF, 100), 100);
    assert_int_equal(link_held(&lnk, 1), LINK_BUF);
    assert_false(link_consume(&lnk, 1, 50)); /* that write fitted: nobody waits */
    n = link_peek(&lnk, 1, &p);
    assert_int_equal(p[0], stream(150));
}

/* Two threads as two CPUs: every byte arrives once, in order, and a writer that found the ring
 * full is always woken (it waits on a flag the reader's wake-up sets, with a timeout that fails
 * the test). */
#define STRESS_BYTES (64u << 20)

struct stress {
    volatile uint32_t wake; /* the writer's "SGI" */
    uint64_t sent, got;
    bool lost_wakeup;
    bool corrupt;
};

static uint32_t rng(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void *writer(void *arg)
{
    struct stress *st = arg;
    uint8_t chunk[5000];
    uint32_t seed = 7;
    while (st->sent < STRESS_BYTES && !st->corrupt) {
        uint32_t len = 1 + rng(&seed) % sizeof(chunk);
        for (uint32_t i = 0; i < len; i++)
            chunk[i] = stream(st->sent + i);
        uint32_t off = 0;
        while (off < len) {
            size_t n = link_write(&lnk, 0, chunk + off, len - off);
            off += (uint32_t)n;
            st->sent += n;
            if (off == len)
                break;
            /* Full: wait for the reader's wake-up, as a blocked chain does. */
            for (uint64_t spin = 0; !__atomic_exchange_n(&st->wake, 0, __ATOMIC_ACQ_REL); spin++)
                if (spin > 2000000000ULL) {
                    st->lost_wakeup = true;
                    return NULL;
                }
        }
    }
    return NULL;
}

static void *reader(void *arg)
{
    struct stress *st = arg;
    uint32_t seed = 11;
    uint8_t out[7000];
    while ((st->got < STRESS_BYTES || link_held(&lnk, 1)) && !st->lost_wakeup && !st->corrupt) {
        uint32_t want = 1 + rng(&seed) % sizeof(out), took = 0;
        const uint8_t *p;
        uint32_t n;
        while (took < want && (n = link_peek(&lnk, 1, &p)) > 0) {
            n = n < want - took ? n : want - took;
            memcpy(out + took, p, n);
            if (link_consume(&lnk, 1, n))
                __atomic_store_n(&st->wake, 1, __ATOMIC_RELEASE);
            took += n;
        }
        for (uint32_t i = 0; i < took; i++)
            st->corrupt |= out[i] != stream(st->got + i);
        if (st->corrupt)
            break;
        st->got += took;
    }
    return NULL;
}

static void test_two_cpus_lose_nothing(void **state)
{
    (void)state;
    struct stress st = {0};
    pthread_t w, r;
    attach();
    assert_int_equal(pthread_create(&w, NULL, writer, &st), 0);
    assert_int_equal(pthread_create(&r, NULL, reader, &st), 0);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    assert_false(st.lost_wakeup);
    assert_false(st.corrupt);
    assert_true(st.got >= STRESS_BYTES);
    assert_int_equal(st.got, st.sent);
    assert_int_equal(link_held(&lnk, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded_and_in_order),
        cmocka_unit_test(test_two_cpus_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
