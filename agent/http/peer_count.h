/*
 * peer_count.h - open connections per client address, for the local API's
 * per-address bound (http_server.c).
 *
 * A fixed open-addressing table sized at creation for the most connections
 * the server keeps (an address with no connection has no entry), so adding
 * never allocates and a flood of addresses cannot grow it. IPv4-mapped IPv6
 * addresses count as their IPv4 address.
 */
#ifndef TILLSYNC_PEER_COUNT_H
#define TILLSYNC_PEER_COUNT_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

typedef struct ts_peer_key {
    uint8_t len; /* 4 or 16; 0: unknown (not counted) */
    uint8_t addr[16];
} ts_peer_key;

typedef struct ts_peer_count ts_peer_count;

/* Room for max_entries distinct addresses; NULL when out of memory. */
ts_peer_count *ts_peer_count_new(size_t max_entries);
void ts_peer_count_free(ts_peer_count *pc);

/* The key of an AF_INET or AF_INET6 address; len 0 for anything else. */
ts_peer_key ts_peer_key_of(const struct sockaddr *sa);

/* Connections counted for this address now. */
uint32_t ts_peer_count_get(const ts_peer_count *pc, const ts_peer_key *k);
/* Counts one more connection and returns the new count; 0 when the table
 * is full or the key is unknown (nothing counted: do not call _remove). */
uint32_t ts_peer_count_add(ts_peer_count *pc, const ts_peer_key *k);
/* Uncounts one connection; the entry goes when its count reaches 0. */
void ts_peer_count_remove(ts_peer_count *pc, const ts_peer_key *k);
/* Addresses with at least one connection. */
size_t ts_peer_count_addresses(const ts_peer_count *pc);

#endif
