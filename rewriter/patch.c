// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* patch.c - deciding stub or trap for every site, and laying out regions and the patch area. */

/*
 * Theory of operation
 *
 * Sites are visited in address order.  Each one gets exactly one site
 * record.  A site that can run (not data, not replacement code, not a
 * class left native) is rewritten: first we look for a *region* of whole
 * consecutive instructions, at least 5 bytes (a jmp rel32), that contains
 * it and may move: only its first instruction may be a branch target or
 * function start; every instruction in it is position independent once
 * re-encoded (direct jcc, jmp and call get 32-bit displacements to the
 * same target; no indirect or 16-bit branch, no loop/jecxz, no int/ud2,
 * no call to __fentry__, which ftrace patches), no kernel table points
 * into it (exception table, smp_locks, paravirt, bug table, jump labels),
 * it holds no nop that may be a patch point, and a ret, jmp or
 * control-transfer site can only be its last instruction.  A moved call
 * returns into the stub: stack traces through it end there (the frame
 * unwinder stops at an address outside kernel text); --no-move-calls
 * turns this off.  The search tries the site itself as the start, then up to
 * four instructions before it, and extends forwards until 5 bytes.  Other
 * sites inside the region are emulated by the same stub.  If no region
 * exists, or the site runs with paging off, the instruction becomes int3s.
 * Regions never overlap and come out sorted.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/ctx.h"
#include "rewriter/stub.h"

#define RW_PATCH_BACK 4
#define RW_JMP_LEN 5

/**
 * rw_patch_native() - is this class left native by policy?
 * @c:		context
 * @cls:	class
 *
 * Return: 1 or 0.
 */
static int rw_patch_native(const struct rw_ctx *c, unsigned int cls)
{
	return (cls == ULVM_SC_RDTSC || cls == ULVM_SC_RDTSCP) && !c->opts.rewrite_rdtsc;
}

/**
 * rw_patch_is_site() - will this instruction be rewritten as a site?
 * @c:		context
 * @in:		instruction
 *
 * Return: 1 or 0.
 */
static int rw_patch_is_site(const struct rw_ctx *c, const struct rw_insn *in)
{
	return (in->flags & RW_IF_SITE) && !rw_patch_native(c, in->cls);
}

/**
 * rw_patch_movable() - may this instruction be part of a region?
 * @c:		context
 * @in:		instruction
 * @last:	it would be the region's last instruction
 *
 * Return: 1 or 0.
 */
static int rw_patch_movable(const struct rw_ctx *c, const struct rw_insn *in, int last)
{
	if (in->flags & (RW_IF_NOMOVE | RW_IF_DATA | RW_IF_INVALID | RW_IF_PHYS | RW_IF_ALTREPL |
			 RW_IF_NOP | RW_IF_LOCK))
		return 0;
	if (rw_patch_is_site(c, in))
		return last || !rw_class_noreturn(in->cls);
	/* A fault in a moved instruction would not find its fixup. */
	if (in->flags & RW_IF_EXTABLE)
		return 0;
	/* apply_alternatives() patches an alternative's original bytes in
	 * place: a moved copy would keep running the unpatched code (e.g. a
	 * static_cpu_has jmp into .altinstr_aux, freed after boot). */
	if (in->flags & RW_IF_ALTORIG)
		return 0;
	switch (in->ctl) {
	case RW_CTL_NONE:
	case RW_CTL_JCC:
		return 1;
	case RW_CTL_CALL:
		/* ftrace patches its call sites in place: never move those. */
		return !c->opts.no_move_calls && in->target != c->tab.fentry;
	case RW_CTL_JMP:
		return last && c->tab.njump > 0;
	case RW_CTL_RET:
		return last;
	default:
		return 0;
	}
}

/* Does instruction @k end where @k + 1 begins? */
static int rw_patch_adjacent(const struct rw_ctx *c, size_t k)
{
	return k + 1 < c->ninsns && c->insns[k].va + c->insns[k].len == c->insns[k + 1].va &&
	       c->insns[k].range == c->insns[k + 1].range;
}

/* May instruction @k be followed by another in a region? */
static int rw_patch_falls_through(const struct rw_ctx *c, size_t k)
{
	const struct rw_insn *in = &c->insns[k];

	if (rw_patch_is_site(c, in))
		return !rw_class_noreturn(in->cls);
	return in->ctl == RW_CTL_NONE || in->ctl == RW_CTL_JCC || in->ctl == RW_CTL_CALL;
}

/* Does execution never continue after instruction @k (ret, jmp, control-transfer site)? */
static int rw_patch_terminal(const struct rw_ctx *c, size_t k)
{
	const struct rw_insn *in = &c->insns[k];

	if (rw_patch_is_site(c, in))
		return rw_class_noreturn(in->cls);
	return in->ctl == RW_CTL_JMP || in->ctl == RW_CTL_RET;
}

/* Is instruction @k dead padding nobody else uses (after a terminal one)? */
static int rw_patch_dead(const struct rw_ctx *c, size_t k)
{
	return (c->insns[k].flags & (RW_IF_PAD | RW_IF_TARGET | RW_IF_FUNC | RW_IF_NOMOVE |
				     RW_IF_USED | RW_IF_DATA | RW_IF_ALTREPL | RW_IF_ALTORIG |
				     RW_IF_PHYS | RW_IF_SITE)) == RW_IF_PAD;
}

/**
 * rw_patch_find_region() - find a region around site @i
 * @c:		context
 * @i:		index of the site instruction
 * @min_va:	first address not yet covered by a region
 * @minbytes:	bytes the region needs (5 for a jmp rel32, 2 for a jmp rel8)
 * @s_out:	first instruction of the region
 * @e_out:	last instruction of the region (dead padding included)
 *
 * Return: 1 if found, 0 if not.
 */
static int rw_patch_find_region(const struct rw_ctx *c, size_t i, uint32_t min_va,
				uint32_t minbytes, size_t *s_out, size_t *e_out)
{
	size_t back, k;

	if (c->opts.traps_only || !rw_patch_movable(c, &c->insns[i], 1))
		return 0;
	for (back = 0; back <= RW_PATCH_BACK && back <= i; back++) {
		size_t s = i - back, e, live;
		uint32_t bytes = 0;
		int ok = 1;

		if (c->insns[s].va < min_va)
			break;
		/* s .. i-1: movable, falling through, adjacent; s+1 .. i: no target. */
		for (k = s; k < i && ok; k++)
			ok = !(c->insns[k].flags & RW_IF_SITE) &&
			     rw_patch_movable(c, &c->insns[k], 0) && rw_patch_falls_through(c, k) &&
			     rw_patch_adjacent(c, k) &&
			     !(c->insns[k + 1].flags & (RW_IF_TARGET | RW_IF_FUNC));
		if (!ok)
			break; /* going further back cannot help */
		for (k = s; k <= i; k++)
			bytes += c->insns[k].len;
		e = i;
		while (bytes < minbytes) {
			if (!rw_patch_falls_through(c, e) || !rw_patch_adjacent(c, e))
				break;
			if (c->insns[e + 1].flags & (RW_IF_TARGET | RW_IF_FUNC))
				break;
			if (!rw_patch_movable(c, &c->insns[e + 1], 1))
				break;
			if (e > i && !rw_patch_movable(c, &c->insns[e], 0))
				break;
			e++;
			bytes += c->insns[e].len;
		}
		live = e;
		/* After a ret or jmp, padding up to the next target is dead: take it. */
		if (bytes < minbytes && rw_patch_terminal(c, e)) {
			k = e;
			while (bytes < minbytes && rw_patch_adjacent(c, k) && rw_patch_dead(c, k + 1))
				bytes += c->insns[++k].len;
			if (bytes >= minbytes)
				e = k;
		}
		if (bytes < minbytes || bytes > ULVM_REGION_MAX)
			continue;
		/* Every live instruction but the last must be movable as a middle one. */
		for (k = s; k < live && ok; k++)
			ok = rw_patch_movable(c, &c->insns[k], 0);
		if (!ok)
			continue;
		/* Take following sites into the same stub while they fit. */
		while (e == live && !rw_patch_terminal(c, e) && rw_patch_falls_through(c, e) &&
		       rw_patch_adjacent(c, e) && rw_patch_is_site(c, &c->insns[e + 1]) &&
		       !(c->insns[e + 1].flags & (RW_IF_TARGET | RW_IF_FUNC)) &&
		       rw_patch_movable(c, &c->insns[e], 0) &&
		       rw_patch_movable(c, &c->insns[e + 1], 1) &&
		       bytes + c->insns[e + 1].len <= ULVM_REGION_MAX) {
			e++;
			live = e;
			bytes += c->insns[e].len;
		}
		*s_out = s;
		*e_out = e;
		return 1;
	}
	return 0;
}

/**
 * rw_patch_grow() - make room for one more element in an array
 * @arr:	pointer to the array pointer
 * @n:		elements in use
 * @cap:	pointer to the capacity
 * @size:	element size
 *
 * Return: 0 or -ENOMEM.
 */
static int rw_patch_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	void **a = arr;
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1024;
	p = realloc(*a, ncap * size);
	if (!p)
		return -ENOMEM;
	*a = p;
	*cap = ncap;
	return 0;
}

/**
 * rw_patch_add_site() - append a site record
 * @c:		context
 * @in:		its instruction
 * @disp:	disposition
 * @region:	region index or ULVM_ST_NO_REGION
 *
 * Return: the record, or NULL on -ENOMEM (recorded in c->err).
 */
static struct ulvm_st_site *rw_patch_add_site(struct rw_ctx *c, const struct rw_insn *in,
					      uint8_t disp, uint32_t region)
{
	struct ulvm_st_site *s;
	const uint8_t *b;

	if (rw_patch_grow(&c->sites, c->nsites, &c->capsites, sizeof(*s))) {
		rw_err_set(c->err, -ENOMEM, "out of memory for sites");
		return NULL;
	}
	s = &c->sites[c->nsites];
	memset(s, 0, sizeof(*s));
	s->id = (uint32_t)c->nsites;
	s->vaddr = in->va;
	s->region = region;
	s->cls = in->cls;
	s->disp = disp;
	s->len = in->len;
	if (in->flags & RW_IF_PHYS)
		s->flags |= ULVM_SITE_F_PHYS;
	if (rw_class_noreturn(in->cls))
		s->flags |= ULVM_SITE_F_NORETURN;
	if (in->flags & RW_IF_ALTREPL)
		s->flags |= ULVM_SITE_F_ALTREPL;
	if (in->flags & RW_IF_ALTORIG)
		s->flags |= ULVM_SITE_F_ALTORIG;
	if (in->flags & RW_IF_EXTABLE)
		s->flags |= ULVM_SITE_F_EXTABLE;
	b = rw_elf_va_ptr(&c->elf, in->va, in->len);
	if (b)
		memcpy(s->insn, b, in->len);
	c->nsites++;
	return s;
}

/**
 * rw_patch_add_region() - append a region record
 * @c:		context
 * @va:		first address
 * @len:	bytes
 * @kind:	enum ulvm_region_kind
 * @ninsns:	instructions covered
 *
 * Return: the record, or NULL on -ENOMEM or unreadable bytes.
 */
static struct ulvm_st_region *rw_patch_add_region(struct rw_ctx *c, uint32_t va, uint32_t len,
						  uint8_t kind, size_t ninsns)
{
	struct ulvm_st_region *r;
	const uint8_t *b = rw_elf_va_ptr(&c->elf, va, len);

	if (!b || len > ULVM_REGION_MAX) {
		rw_err_set(c->err, -EBADMSG, "region at %#x not file-backed", va);
		return NULL;
	}
	if (rw_patch_grow(&c->regions, c->nregions, &c->capregions, sizeof(*r))) {
		rw_err_set(c->err, -ENOMEM, "out of memory for regions");
		return NULL;
	}
	r = &c->regions[c->nregions++];
	memset(r, 0, sizeof(*r));
	r->vaddr = va;
	r->len = (uint8_t)len;
	r->kind = kind;
	r->first_site = (uint32_t)c->nsites;
	r->ninsns = (uint16_t)ninsns;
	memcpy(r->orig, b, len);
	return r;
}

/**
 * rw_patch_write() - overwrite image bytes at a virtual address
 * @c:		context
 * @va:		address
 * @b:		new bytes
 * @len:	their number
 *
 * Return: 0 or -ERANGE.
 */
static int rw_patch_write(struct rw_ctx *c, uint32_t va, const uint8_t *b, uint32_t len)
{
	size_t off;

	if (rw_elf_va_off(&c->elf, va, len, &off))
		return rw_err_set(c->err, -ERANGE, "cannot patch %#x: not file-backed", va);
	memcpy(c->buf + off, b, len);
	return 0;
}

/**
 * rw_patch_tabpatch() - change bytes of a kernel table, recording the original
 * @c:		context
 * @va:		address
 * @newb:	new bytes
 * @len:	their number (<= 8)
 * @kind:	enum ulvm_tabpatch_kind
 *
 * Return: 0 or -errno.
 */
int rw_patch_tabpatch(struct rw_ctx *c, uint32_t va, const uint8_t *newb, uint8_t len, uint8_t kind)
{
	const uint8_t *b = rw_elf_va_ptr(&c->elf, va, len);
	struct ulvm_st_tabpatch *t;

	if (!b || len > 8)
		return rw_err_set(c->err, -ERANGE, "cannot patch table bytes at %#x", va);
	if (rw_patch_grow(&c->tabpatches, c->ntabpatches, &c->captabpatches, sizeof(*t)))
		return rw_err_set(c->err, -ENOMEM, "out of memory");
	t = &c->tabpatches[c->ntabpatches++];
	memset(t, 0, sizeof(*t));
	t->vaddr = va;
	t->len = len;
	t->kind = kind;
	memcpy(t->orig, b, len);
	return rw_patch_write(c, va, newb, len);
}

/**
 * rw_patch_slots() - find the dead padding that can hold a jmp rel32
 * @c:		context
 *
 * A slot is a run of padding instructions after a ret, jmp or control
 * transfer, up to the next branch target, of 5 bytes or more.
 *
 * Return: 0 or -ENOMEM.
 */
static int rw_patch_slots(struct rw_ctx *c)
{
	size_t k;

	for (k = 0; k + 1 < c->ninsns; k++) {
		const struct rw_insn *in = &c->insns[k];
		uint32_t bytes = 0;
		size_t j;

		if (!(in->ctl == RW_CTL_JMP || in->ctl == RW_CTL_RET || rw_class_noreturn(in->cls)) ||
		    (in->flags & RW_IF_DATA))
			continue;
		for (j = k + 1; j < c->ninsns && rw_patch_adjacent(c, j - 1) && rw_patch_dead(c, j); j++)
			bytes += c->insns[j].len;
		if (bytes < RW_JMP_LEN)
			continue;
		if (rw_patch_grow(&c->slots, c->nslots, &c->capslots, sizeof(*c->slots)))
			return rw_err_set(c->err, -ENOMEM, "out of memory");
		c->slots[c->nslots].first = k + 1;
		c->slots[c->nslots].end = j;
		c->nslots++;
		k = j - 1;
	}
	return 0;
}

/**
 * rw_patch_slot_take() - find room for a jmp rel32 within jmp rel8 reach
 * @c:		context
 * @from:	address after the jmp rel8
 * @first:	OUT: first padding instruction of the room
 * @end:	OUT: one past its last
 *
 * Return: 1 if found (not yet marked used), 0 if not.
 */
static int rw_patch_slot_take(struct rw_ctx *c, uint32_t from, size_t *first, size_t *end)
{
	size_t lo = 0, hi = c->nslots, idx;
	int64_t best = 1000;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->insns[c->slots[mid].first].va < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (idx = lo >= 8 ? lo - 8 : 0; idx < c->nslots && idx < lo + 8; idx++) {
		const struct rw_slot *sl = &c->slots[idx];
		size_t a = sl->first, b;
		uint32_t bytes = 0;
		int64_t d;

		while (a < sl->end && (c->insns[a].flags & RW_IF_USED))
			a++;
		for (b = a; b < sl->end && bytes < RW_JMP_LEN; b++) {
			if (c->insns[b].flags & RW_IF_USED)
				break;
			bytes += c->insns[b].len;
		}
		if (bytes < RW_JMP_LEN || bytes > 15)
			continue;
		d = (int64_t)c->insns[a].va - (int64_t)from;
		if (d < -128 || d > 127)
			continue;
		if ((d < 0 ? -d : d) < (best < 0 ? -best : best)) {
			best = d;
			*first = a;
			*end = b;
		}
	}
	return best != 1000;
}

/**
 * rw_patch_stub() - make region s..e a stub
 * @c:		context
 * @s:		first instruction
 * @e:		last instruction (dead padding after a terminal one included)
 * @shortjmp:	the region is 2 to 4 bytes: reach the stub through a slot
 *
 * Return: 0, 1 if the stub could not be made (caller traps), or -errno.
 */
static int rw_patch_stub(struct rw_ctx *c, size_t s, size_t e, int shortjmp)
{
	struct rw_stub_insn si[ULVM_REGION_MAX];
	uint8_t jmp[ULVM_REGION_MAX], sj[16];
	uint32_t va = c->insns[s].va, end = c->insns[e].va + c->insns[e].len;
	uint32_t stub_va, ridx = (uint32_t)c->nregions, id = (uint32_t)c->nsites, via = 0;
	size_t k, n = e - s + 1, sa = 0, sb = 0;
	struct ulvm_st_region *r;
	uint8_t via_len = 0;
	int len, ret;

	if (shortjmp) {
		if (!rw_patch_slot_take(c, va + 2, &sa, &sb))
			return 1;
		via = c->insns[sa].va;
		via_len = (uint8_t)(c->insns[sb - 1].va + c->insns[sb - 1].len - via);
	}
	if (c->patch_cap - c->patch_len < RW_STUB_MAX + 4) {
		size_t ncap = c->patch_cap ? c->patch_cap * 2 : 65536;
		uint8_t *np = realloc(c->patch, ncap);

		if (!np)
			return rw_err_set(c->err, -ENOMEM, "out of memory for the patch area");
		c->patch = np;
		c->patch_cap = ncap;
	}
	while (c->patch_len & 3)
		c->patch[c->patch_len++] = 0xcc;
	stub_va = c->opts.patch_vaddr + (uint32_t)c->patch_len;
	for (k = 0; k < n; k++) {
		const struct rw_insn *in = &c->insns[s + k];

		memset(&si[k], 0, sizeof(si[k]));
		si[k].b = rw_elf_va_ptr(&c->elf, in->va, in->len);
		if (!si[k].b)
			return 1;
		si[k].len = in->len;
		si[k].va = in->va;
		si[k].site = rw_patch_is_site(c, in);
		if (in->flags & RW_IF_SITE)
			si[k].id = id++;
	}
	len = rw_stub_emit(si, n, end, stub_va, c->opts.vcpu_vaddr, c->patch + c->patch_len,
			   RW_STUB_MAX);
	if (len < 0)
		return 1;
	r = rw_patch_add_region(c, va, end - va, shortjmp ? ULVM_RK_STUB_SHORT : ULVM_RK_STUB, n);
	if (!r)
		return c->err->code;
	r->stub = stub_va;
	r->stub_len = (uint16_t)len;
	for (k = 0; k < n; k++) {
		struct ulvm_st_site *st;
		uint8_t disp;

		c->insns[s + k].flags |= RW_IF_USED;
		if (!(c->insns[s + k].flags & RW_IF_SITE))
			continue;
		/* A site left native by policy is moved as it is. */
		disp = !si[k].site ? ULVM_SD_NATIVE :
		       si[k].emul  ? ULVM_SD_STUB_EMUL : ULVM_SD_STUB_CALL;
		st = rw_patch_add_site(c, &c->insns[s + k], disp, ridx);
		if (!st)
			return c->err->code;
		st->call_ret = si[k].call_ret;
		r->nsites++;
	}
	c->patch_len += (size_t)len;
	memset(jmp, 0xcc, sizeof(jmp));
	if (shortjmp) {
		const uint8_t *ob = rw_elf_va_ptr(&c->elf, via, via_len);

		if (!ob)
			return rw_err_set(c->err, -ERANGE, "slot at %#x not file-backed", via);
		r->via = via;
		r->via_len = via_len;
		memcpy(r->via_orig, ob, via_len);
		for (k = sa; k < sb; k++)
			c->insns[k].flags |= RW_IF_USED;
		memset(sj, 0xcc, sizeof(sj));
		sj[0] = 0xe9;
		rw_put_le32(sj + 1, stub_va - (via + 5));
		ret = rw_patch_write(c, via, sj, via_len);
		if (ret)
			return ret;
		jmp[0] = 0xeb;
		jmp[1] = (uint8_t)(int8_t)((int64_t)via - (int64_t)(va + 2));
		c->stats.nregions_short++;
	} else {
		jmp[0] = 0xe9;
		rw_put_le32(jmp + 1, stub_va - (va + 5));
	}
	ret = rw_patch_write(c, va, jmp, end - va);
	if (ret)
		return ret;
	c->stats.nregions_stub++;
	return 0;
}

/**
 * rw_patch_trap() - make one site an int3 trap
 * @c:		context
 * @i:		the site instruction
 *
 * Return: 0 or -errno.
 */
static int rw_patch_trap(struct rw_ctx *c, size_t i)
{
	const struct rw_insn *in = &c->insns[i];
	uint8_t cc[16];
	struct ulvm_st_region *r;
	uint32_t ridx = (uint32_t)c->nregions;

	r = rw_patch_add_region(c, in->va, in->len, ULVM_RK_TRAP_INT3, 1);
	if (!r)
		return c->err->code;
	r->nsites = 1;
	if (!rw_patch_add_site(c, in, ULVM_SD_TRAP, ridx))
		return c->err->code;
	memset(cc, 0xcc, sizeof(cc));
	c->stats.nregions_trap++;
	return rw_patch_write(c, in->va, cc, in->len);
}

/**
 * rw_patch_plan() - give every site its disposition, rewrite the image
 * @c:		context with decoded, flagged instructions
 *
 * Return: 0 or -errno.
 */
int rw_patch_plan(struct rw_ctx *c)
{
	uint32_t covered = 0;
	size_t i;
	int ret;

	ret = rw_patch_slots(c);
	if (ret)
		return ret;
	for (i = 0; i < c->ninsns; i++) {
		const struct rw_insn *in = &c->insns[i];
		size_t s, e;

		if (!(in->flags & RW_IF_SITE) || in->va < covered)
			continue;
		if (in->flags & RW_IF_DATA) {
			if (!rw_patch_add_site(c, in, ULVM_SD_DATA, ULVM_ST_NO_REGION))
				return c->err->code;
			continue;
		}
		if (rw_patch_native(c, in->cls)) {
			if (!rw_patch_add_site(c, in, ULVM_SD_NATIVE, ULVM_ST_NO_REGION))
				return c->err->code;
			continue;
		}
		if (in->flags & RW_IF_ALTREPL) {
			if (!rw_patch_add_site(c, in, ULVM_SD_INERT_ALT, ULVM_ST_NO_REGION))
				return c->err->code;
			continue;
		}
		if (!(in->flags & RW_IF_PHYS)) {
			int shortjmp = 0;

			ret = 1;
			if (rw_patch_find_region(c, i, covered, RW_JMP_LEN, &s, &e))
				ret = rw_patch_stub(c, s, e, 0);
			if (ret == 1 && rw_patch_find_region(c, i, covered, 2, &s, &e)) {
				shortjmp = 1;
				ret = rw_patch_stub(c, s, e, 1);
			}
			if (ret < 0)
				return ret;
			if (ret == 0) {
				covered = c->insns[e].va + c->insns[e].len;
				(void)shortjmp;
				continue;
			}
		}
		ret = rw_patch_trap(c, i);
		if (ret)
			return ret;
		covered = in->va + in->len;
	}
	return 0;
}
