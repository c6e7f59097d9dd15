// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* flow.c - the flow table: preallocated slots, a hash of flow keys, deferred freeing.
 *
 * Theory of operation
 * -------------------
 * All flows of all guests live in one array of fixed-size slots allocated
 * at start-up (no allocation per flow or per packet).  A slot is FREE (on
 * the free list), in use by one variant (TCP, UDP, ICMP: each struct starts
 * with struct flow_common), or DEAD: closed by its owner and waiting on the
 * sweep list.  flow_free() takes the flow out of the hash at once, so no
 * packet finds it again, but the slot is only recycled by flow_sweep(),
 * which the daemon runs before the loop blocks: a callback that closed its
 * own flow may still touch it until it returns.
 *
 * Invariants: a slot is on exactly one of {free list, hash, sweep list,
 * neither (in use but not hashed)}; flow_count() counts slots not FREE;
 * every hashed flow has a unique key.
 */

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/icmp.h"
#include "slirpish/log.h"
#include "slirpish/tcp.h"
#include "slirpish/udp.h"

/**
 * struct flow_table - slots, hash buckets and lists
 * @slots:	@n slots of FLOW_SLOT_SIZE bytes
 * @n:		number of slots
 * @buckets:	hash buckets (slot index or FLOW_NONE), @nbuckets of them
 * @nbuckets:	power of two
 * @free_head:	free list
 * @sweep_head:	dead flows waiting for the sweep
 * @used:	slots not FREE
 */
struct flow_table {
	uint8_t *slots;
	unsigned n;
	uint32_t *buckets;
	unsigned nbuckets;
	uint32_t free_head;
	uint32_t sweep_head;
	unsigned used;
};

static const char *const flow_type_names[] = {
	[FLOW_FREE] = "free", [FLOW_TCP] = "tcp", [FLOW_UDP] = "udp",
	[FLOW_ICMP] = "icmp", [FLOW_DEAD] = "dead",
};
static_assert(ARRAY_SIZE(flow_type_names) == FLOW_TYPE_COUNT, "flow type names");

/**
 * flow_type_str() - name of a flow type
 * @type:	type
 *
 * Return: static string.
 */
const char *flow_type_str(enum flow_type type)
{
	return type < FLOW_TYPE_COUNT ? flow_type_names[type] : "?";
}

static struct flow_common *flow_at(const struct flow_table *t, uint32_t i)
{
	return (struct flow_common *)(void *)(t->slots + (size_t)i * FLOW_SLOT_SIZE);
}

/* flow_hash() - bucket of a key (FNV-1a over its bytes, then mixed). */
static uint32_t flow_hash(const struct flow_table *t, const struct flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	h ^= h >> 15;
	return h & (t->nbuckets - 1);
}

/**
 * flow_table_init() - allocate the flow table
 * @c:		daemon context
 * @n:		number of slots
 *
 * Return: 0, or -ENOMEM.
 */
int flow_table_init(struct ctx *c, unsigned n)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	unsigned i;

	if (!t)
		return -ENOMEM;
	t->n = n;
	for (t->nbuckets = 64; t->nbuckets < 2 * n; t->nbuckets <<= 1)
		;
	/* calloc: untouched slots cost no memory until first used. */
	t->slots = calloc(n, FLOW_SLOT_SIZE);
	t->buckets = malloc(sizeof(uint32_t) * t->nbuckets);
	if (!t->slots || !t->buckets) {
		free(t->slots);
		free(t->buckets);
		free(t);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, sizeof(uint32_t) * t->nbuckets);
	for (i = 0; i < n; i++) {
		flow_at(t, i)->idx = i;
		flow_at(t, i)->lnext = i + 1 < n ? i + 1 : FLOW_NONE;
	}
	t->free_head = 0;
	t->sweep_head = FLOW_NONE;
	c->flows = t;
	return 0;
}

/**
 * flow_table_free() - free the table (every flow must be closed and swept)
 * @c:		daemon context
 */
void flow_table_free(struct ctx *c)
{
	struct flow_table *t = c->flows;

	if (!t)
		return;
	free(t->slots);
	free(t->buckets);
	free(t);
	c->flows = NULL;
}

/**
 * flow_alloc() - take a free slot for a new flow and hash it under @key
 * @c:		daemon context
 * @type:	FLOW_TCP, FLOW_UDP or FLOW_ICMP
 * @g:		guest the flow belongs to
 * @key:	flow key (must not be in the table)
 *
 * Return: the zeroed slot with its common header filled, or NULL when the
 * table is full (counted as FLOW_TABLE_FULL).
 */
struct flow_common *flow_alloc(struct ctx *c, enum flow_type type, struct guest *g,
			       const struct flow_key *key)
{
	struct flow_table *t = c->flows;
	struct flow_common *f;
	uint32_t i = t->free_head, b;

	if (i == FLOW_NONE) {
		STAT_INC(&c->stats, FLOW_TABLE_FULL);
		return NULL;
	}
	f = flow_at(t, i);
	t->free_head = f->lnext;
	memset(f, 0, FLOW_SLOT_SIZE);
	f->type = (uint8_t)type;
	f->idx = i;
	f->lnext = FLOW_NONE;
	f->key = *key;
	f->key.pad = 0;
	f->g = g;
	b = flow_hash(t, &f->key);
	f->hnext = t->buckets[b];
	t->buckets[b] = i;
	f->hashed = 1;
	t->used++;
	g->n_flows++;
	return f;
}

/**
 * flow_lookup() - find a flow by key
 * @c:		daemon context
 * @key:	key (its pad byte is ignored)
 *
 * Return: the flow, or NULL.
 */
struct flow_common *flow_lookup(struct ctx *c, const struct flow_key *key)
{
	struct flow_table *t = c->flows;
	struct flow_key k = *key;
	uint32_t i;

	k.pad = 0;
	for (i = t->buckets[flow_hash(t, &k)]; i != FLOW_NONE; i = flow_at(t, i)->hnext) {
		struct flow_common *f = flow_at(t, i);

		if (!memcmp(&f->key, &k, sizeof(k)))
			return f;
	}
	return NULL;
}

/* flow_unhash() - take a flow out of its hash chain. */
static void flow_unhash(struct flow_table *t, struct flow_common *f)
{
	uint32_t *pp = &t->buckets[flow_hash(t, &f->key)];

	while (*pp != FLOW_NONE && *pp != f->idx)
		pp = &flow_at(t, *pp)->hnext;
	ASSERT(*pp == f->idx);
	*pp = f->hnext;
	f->hashed = 0;
}

/**
 * flow_free() - retire a flow whose owner has released its resources
 * @c:		daemon context
 * @f:		flow; the slot is recycled by the next flow_sweep()
 */
void flow_free(struct ctx *c, struct flow_common *f)
{
	struct flow_table *t = c->flows;

	if (f->type == FLOW_DEAD || f->type == FLOW_FREE)
		return;
	if (f->hashed)
		flow_unhash(t, f);
	f->g->n_flows--;
	f->type = FLOW_DEAD;
	f->lnext = t->sweep_head;
	t->sweep_head = f->idx;
}

/**
 * flow_sweep() - recycle the slots of dead flows (outside any flow callback)
 * @c:		daemon context
 */
void flow_sweep(struct ctx *c)
{
	struct flow_table *t = c->flows;

	while (t->sweep_head != FLOW_NONE) {
		struct flow_common *f = flow_at(t, t->sweep_head);

		t->sweep_head = f->lnext;
		f->type = FLOW_FREE;
		f->lnext = t->free_head;
		t->free_head = f->idx;
		t->used--;
	}
}

/* flow_close_one() - ask a flow's owner to close it. */
static void flow_close_one(struct ctx *c, struct flow_common *f)
{
	switch (f->type) {
	case FLOW_TCP:
		tcp_flow_close(c, f);
		break;
	case FLOW_UDP:
		udp_flow_close(c, f);
		break;
	case FLOW_ICMP:
		icmp_flow_close(c, f);
		break;
	default:
		break;
	}
}

/**
 * flow_close_guest() - close every flow of a guest (it disconnected)
 * @c:		daemon context
 * @g:		guest
 */
void flow_close_guest(struct ctx *c, struct guest *g)
{
	struct flow_table *t = c->flows;
	unsigned i;

	for (i = 0; i < t->n && g->n_flows; i++) {
		struct flow_common *f = flow_at(t, i);

		if (f->g == g && f->type != FLOW_FREE && f->type != FLOW_DEAD)
			flow_close_one(c, f);
	}
}

/**
 * flow_count() - number of slots in use or waiting for the sweep
 * @c:		daemon context
 *
 * Return: count.
 */
unsigned flow_count(const struct ctx *c)
{
	return c->flows ? c->flows->used : 0;
}

/**
 * flow_dump() - print every live flow, one line each
 * @c:		daemon context
 * @out:	stream
 */
void flow_dump(struct ctx *c, FILE *out)
{
	struct flow_table *t = c->flows;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		struct flow_common *f = flow_at(t, i);
		const struct flow_key *k = &f->key;

		if (f->type == FLOW_FREE || f->type == FLOW_DEAD)
			continue;
		fprintf(out, "flow %u guest %u %s %u.%u.%u.%u:%u <-> %u.%u.%u.%u:%u", f->idx,
			k->guest, flow_type_str(f->type), k->gaddr >> 24, (k->gaddr >> 16) & 0xff,
			(k->gaddr >> 8) & 0xff, k->gaddr & 0xff, k->gport, k->raddr >> 24,
			(k->raddr >> 16) & 0xff, (k->raddr >> 8) & 0xff, k->raddr & 0xff, k->rport);
		if (f->type == FLOW_TCP)
			tcp_flow_dump(f, out);
		fputc('\n', out);
	}
}
