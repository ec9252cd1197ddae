/*
 * peer_count.c - open connections per client address (peer_count.h).
 *
 * Linear probing in a power-of-two table at most half full; removal shifts
 * the following entries back (no tombstones), so lookups stay short however
 * many addresses came and went.
 */
#include "http/peer_count.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct entry {
    ts_peer_key key;
    uint32_t count; /* 0: empty slot */
} entry;

struct ts_peer_count {
    size_t mask; /* slots - 1 */
    size_t used;
    size_t max_used;
    entry slots[];
};

ts_peer_count *ts_peer_count_new(size_t max_entries)
{
    size_t n = 8;
    ts_peer_count *pc;

    if (max_entries > (SIZE_MAX / sizeof(entry)) / 4)
        return NULL;
    while (n < 2 * max_entries)
        n *= 2;
    pc = calloc(1, sizeof *pc + n * sizeof(entry));
    if (pc == NULL)
        return NULL;
    pc->mask = n - 1;
    pc->max_used = max_entries;
    return pc;
}

void ts_peer_count_free(ts_peer_count *pc)
{
    free(pc);
}

ts_peer_key ts_peer_key_of(const struct sockaddr *sa)
{
    static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ts_peer_key k;

    memset(&k, 0, sizeof k);
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        k.len = 4;
        memcpy(k.addr, &in->sin_addr, 4);
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        const uint8_t *a = in6->sin6_addr.s6_addr;
        if (memcmp(a, v4_mapped, sizeof v4_mapped) == 0) {
            k.len = 4;
            memcpy(k.addr, a + 12, 4);
        } else {
            k.len = 16;
            memcpy(k.addr, a, 16);
        }
    }
    return k;
}

/* FNV-1a over the address bytes. */
static size_t hash(const ts_peer_key *k)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < k->len; i++)
        h = (h ^ k->addr[i]) * 16777619u;
    return h;
}

static int same(const ts_peer_key *a, const ts_peer_key *b)
{
    return a->len == b->len && memcmp(a->addr, b->addr, a->len) == 0;
}

/* The key's slot, or the empty slot where it would go. */
static size_t find(const ts_peer_count *pc, const ts_peer_key *k)
{
    size_t i = hash(k) & pc->mask;
    while (pc->slots[i].count != 0 && !same(&pc->slots[i].key, k))
        i = (i + 1) & pc->mask;
    return i;
}

uint32_t ts_peer_count_get(const ts_peer_count *pc, const ts_peer_key *k)
{
    return k->len == 0 ? 0 : pc->slots[find(pc, k)].count;
}

uint32_t ts_peer_count_add(ts_peer_count *pc, const ts_peer_key *k)
{
    size_t i;

    if (k->len == 0)
        return 0;
    i = find(pc, k);
    if (pc->slots[i].count == 0) {
        if (pc->used >= pc->max_used)
            return 0;
        pc->slots[i].key = *k;
        pc->used++;
    }
    return ++pc->slots[i].count;
}

/* Empties slot i and moves back the entries after it that probed past it. */
static void remove_slot(ts_peer_count *pc, size_t i)
{
    size_t j = i;

    pc->slots[i].count = 0;
    pc->used--;
    for (;;) {
        j = (j + 1) & pc->mask;
        if (pc->slots[j].count == 0)
            return;
        size_t home = hash(&pc->slots[j].key) & pc->mask;
        /* j's entry may move to i unless its home lies cyclically in (i, j]. */
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            pc->slots[i] = pc->slots[j];
            pc->slots[j].count = 0;
            i = j;
        }
    }
}

void ts_peer_count_remove(ts_peer_count *pc, const ts_peer_key *k)
{
    size_t i;

    if (k->len == 0)
        return;
    i = find(pc, k);
    if (pc->slots[i].count == 0)
        return;
    if (--pc->slots[i].count == 0)
        remove_slot(pc, i);
}

size_t ts_peer_count_addresses(const ts_peer_count *pc)
{
    return pc->used;
}
