/*
 * test_peer_count.c - the per-address connection counts behind the local
 * API's per-address bound: counts follow adds and removes, addresses that
 * collide in the table stay apart after others leave, the table never grows
 * past its size, and IPv4-mapped IPv6 counts as IPv4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http/peer_count.h"

static ts_peer_key v4(uint32_t host_order)
{
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(host_order);
    return ts_peer_key_of((const struct sockaddr *)&in);
}

static void counts_follow_adds_and_removes(void **state)
{
    (void)state;
    ts_peer_count *pc = ts_peer_count_new(64);
    ts_peer_key a = v4(0x7f000002), b = v4(0x7f000003);
    assert_non_null(pc);
    for (uint32_t i = 1; i <= 40; i++)
        assert_int_equal(ts_peer_count_add(pc, &a), i);
    assert_int_equal(ts_peer_count_add(pc, &b), 1);
    assert_int_equal(ts_peer_count_get(pc, &a), 40);
    assert_int_equal(ts_peer_count_addresses(pc), 2);
    for (int i = 0; i < 40; i++)
        ts_peer_count_remove(pc, &a);
    assert_int_equal(ts_peer_count_get(pc, &a), 0);
    assert_int_equal(ts_peer_count_get(pc, &b), 1);
    assert_int_equal(ts_peer_count_addresses(pc), 1);
    ts_peer_count_remove(pc, &a); /* not counted: no effect */
    assert_int_equal(ts_peer_count_get(pc, &b), 1);
    ts_peer_count_free(pc);
}

/* Many addresses come and go in random order; a reference array must agree
 * at every step (this exercises the backward shift on removal). */
static void churn_matches_a_reference(void **state)
{
    (void)state;
    enum { ADDRS = 300, STEPS = 200000 };
    static uint32_t ref[ADDRS];
    ts_peer_count *pc = ts_peer_count_new(ADDRS);
    size_t distinct = 0;
    assert_non_null(pc);
    srand(7);
    for (int step = 0; step < STEPS; step++) {
        uint32_t i = (uint32_t)rand() % ADDRS;
        ts_peer_key k = v4(0x0a000000u + i * 7919u);
        if (rand() % 2 && ref[i] > 0) {
            ts_peer_count_remove(pc, &k);
            distinct -= --ref[i] == 0;
        } else {
            distinct += ref[i] == 0;
            assert_int_equal(ts_peer_count_add(pc, &k), ++ref[i]);
        }
        if (step % 997 == 0)
            for (uint32_t j = 0; j < ADDRS; j++) {
                ts_peer_key kj = v4(0x0a000000u + j * 7919u);
                assert_int_equal(ts_peer_count_get(pc, &kj), ref[j]);
            }
        assert_int_equal(ts_peer_count_addresses(pc), distinct);
    }
    ts_peer_count_free(pc);
}

static void full_table_counts_nothing(void **state)
{
    (void)state;
    ts_peer_count *pc = ts_peer_count_new(4);
    assert_non_null(pc);
    for (uint32_t i = 0; i < 4; i++) {
        ts_peer_key k = v4(i + 1);
        assert_int_equal(ts_peer_count_add(pc, &k), 1);
    }
    ts_peer_key fifth = v4(99), first = v4(1);
    assert_int_equal(ts_peer_count_add(pc, &fifth), 0);
    assert_int_equal(ts_peer_count_add(pc, &first), 2); /* known addresses still count */
    ts_peer_count_free(pc);
}

static void mapped_ipv6_is_ipv4(void **state)
{
    (void)state;
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6.sin6_addr), 1);
    ts_peer_key mapped = ts_peer_key_of((const struct sockaddr *)&in6), plain = v4(0x7f000002);
    assert_int_equal(mapped.len, 4);
    assert_memory_equal(mapped.addr, plain.addr, 4);
    assert_int_equal(inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr), 1);
    assert_int_equal(ts_peer_key_of((const struct sockaddr *)&in6).len, 16);
    struct sockaddr unix_like = {.sa_family = AF_UNIX};
    ts_peer_key unknown = ts_peer_key_of(&unix_like);
    assert_int_equal(unknown.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_follow_adds_and_removes),
        cmocka_unit_test(churn_matches_a_reference),
        cmocka_unit_test(full_table_counts_nothing),
        cmocka_unit_test(mapped_ipv6_is_ipv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
