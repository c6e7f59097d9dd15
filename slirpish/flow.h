/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* flow.h - the flow table: every TCP connection, UDP flow and ICMP echo flow of every guest. */
#ifndef SLIRPISH_FLOW_H
#define SLIRPISH_FLOW_H

#include <stdint.h>

#include "slirpish/ctx.h"
#include "slirpish/util.h"

struct guest;

/**
 * enum flow_type - what a flow slot holds
 * @FLOW_FREE:	unused (on the free list)
 * @FLOW_TCP:	struct tcp_conn
 * @FLOW_UDP:	struct udp_flow
 * @FLOW_ICMP:	struct icmp_flow
 * @FLOW_DEAD:	closed, waiting for the sweep to put it on the free list
 */
enum flow_type {
	FLOW_FREE,
	FLOW_TCP,
	FLOW_UDP,
	FLOW_ICMP,
	FLOW_DEAD,
	FLOW_TYPE_COUNT
};

/**
 * struct flow_key - a flow as the guest sees it
 * @guest:	guest id (guests have separate, overlapping address spaces)
 * @proto:	IP protocol
 * @gaddr:	guest-side address, host order
 * @raddr:	remote address as the guest sees it, host order
 * @gport:	guest-side port (ICMP: echo identifier)
 * @rport:	remote port (ICMP: 0)
 */
struct flow_key {
	uint16_t guest;
	uint8_t proto;
	uint8_t pad;
	uint32_t gaddr;
	uint32_t raddr;
	uint16_t gport;
	uint16_t rport;
};

/**
 * struct flow_common - header at the start of every flow variant
 * @type:	enum flow_type
 * @hashed:	the flow is in the hash table
 * @idx:	slot index, for logs
 * @hnext:	next slot in the hash chain, or FLOW_NONE
 * @lnext:	next slot on the free or sweep list, or FLOW_NONE
 * @key:	flow key
 * @g:		guest the flow belongs to
 */
struct flow_common {
	uint8_t type;
	uint8_t hashed;
	uint32_t idx;
	uint32_t hnext;
	uint32_t lnext;
	struct flow_key key;
	struct guest *g;
};

#define FLOW_NONE UINT32_MAX
/* Every variant fits in one slot (checked by static_assert where each is defined). */
#define FLOW_SLOT_SIZE 384

int flow_table_init(struct ctx *c, unsigned n) __must_check;
void flow_table_free(struct ctx *c);
struct flow_common *flow_alloc(struct ctx *c, enum flow_type type, struct guest *g,
			       const struct flow_key *key);
struct flow_common *flow_lookup(struct ctx *c, const struct flow_key *key);
void flow_free(struct ctx *c, struct flow_common *f);
void flow_sweep(struct ctx *c);
void flow_close_guest(struct ctx *c, struct guest *g);
unsigned flow_count(const struct ctx *c);
const char *flow_type_str(enum flow_type type);
void flow_dump(struct ctx *c, FILE *out);

#endif /* SLIRPISH_FLOW_H */
