// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* decode.c - capstone x86-32 sweep of the code ranges, kept in step at function starts. */

/*
 * Theory of operation
 *
 * Each code range is swept linearly with capstone (detail off: we need
 * lengths and validity; rw_classify() reads the bytes).  Known function
 * starts are resynchronisation points: when an instruction would straddle
 * one, decoding was out of step since the previous start, so everything
 * decoded since then is flagged RW_IF_DATA (reported, never rewritten)
 * and the sweep restarts at the function start.  An undecodable byte is
 * recorded as a one-byte RW_IF_INVALID|RW_IF_DATA entry, and the 16 bytes
 * after it are data as well: rewriting them could change how it decodes.  The result is
 * one array of instructions sorted by address over all ranges, so any
 * address can be looked up by binary search.
 */

#include <capstone/capstone.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/ctx.h"

/**
 * rw_decode_push() - append an instruction
 * @c:		context
 * @in:		the instruction
 *
 * Return: 0 or -ENOMEM.
 */
static int rw_decode_push(struct rw_ctx *c, const struct rw_insn *in)
{
	if (c->ninsns == c->capinsns) {
		size_t ncap = c->capinsns ? c->capinsns * 2 : 65536;
		struct rw_insn *n = realloc(c->insns, ncap * sizeof(*n));

		if (!n)
			return rw_err_set(c->err, -ENOMEM, "out of memory for decoded instructions");
		c->insns = n;
		c->capinsns = ncap;
	}
	c->insns[c->ninsns++] = *in;
	return 0;
}

/**
 * rw_decode_range() - sweep one range
 * @c:		context
 * @h:		capstone handle
 * @ri:		range index
 * @ci:		capstone scratch instruction
 *
 * Return: 0 or -errno.
 */
static int rw_decode_range(struct rw_ctx *c, csh h, size_t ri, cs_insn *ci)
{
	const struct rw_range *r = &c->ranges[ri];
	uint32_t end = r->va + r->size;
	size_t fi = 0, sync = c->ninsns, lo = 0, hi = c->nfuncs;
	uint32_t va = r->va, taint = 0;
	int ret;

	/* First function start at or after the range. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->funcs[mid] < r->va)
			lo = mid + 1;
		else
			hi = mid;
	}
	fi = lo;
	while (va < end) {
		const uint8_t *code = r->bytes + (va - r->va);
		size_t avail = end - va;
		uint64_t addr = va;
		struct rw_insn in;
		struct rw_iclass ic;
		uint16_t fl = 0;
		uint32_t nextf;
		size_t n = 0, k;
		bool ok;

		while (fi < c->nfuncs && c->funcs[fi] < va)
			fi++;
		if (fi < c->nfuncs && c->funcs[fi] == va) {
			fl = RW_IF_FUNC | RW_IF_TARGET;
			sync = c->ninsns;
			fi++;
		}
		nextf = (fi < c->nfuncs && c->funcs[fi] < end) ? c->funcs[fi] : end;
		memset(&in, 0, sizeof(in));
		in.va = va;
		in.range = (uint8_t)ri;
		ok = cs_disasm_iter(h, &code, &avail, &addr, ci);
		if (!ok && (n = rw_classify_extra_len(code, avail))) {
			/* Valid, unknown to capstone 4: keep step, never move it. */
			if (nextf != end && va + n > nextf) {
				c->ndesync++;
				for (k = sync; k < c->ninsns; k++)
					c->insns[k].flags |= RW_IF_DATA;
				va = nextf;
				continue;
			}
			in.len = (uint8_t)n;
			in.ctl = RW_CTL_OTHER;
			in.flags = fl | (va < taint ? RW_IF_DATA : 0);
			c->nextra++;
			ret = rw_decode_push(c, &in);
			if (ret)
				return ret;
			va += (uint32_t)n;
			continue;
		}
		if (!ok) {
			in.len = 1;
			in.ctl = RW_CTL_OTHER;
			in.flags = fl | RW_IF_INVALID | RW_IF_DATA;
			c->ninvalid++;
			taint = va + 16;
			ret = rw_decode_push(c, &in);
			if (ret)
				return ret;
			va++;
			continue;
		}
		if (nextf != end && va + ci->size > nextf) {
			c->ndesync++;
			for (k = sync; k < c->ninsns; k++)
				c->insns[k].flags |= RW_IF_DATA;
			va = nextf;
			continue;
		}
		rw_classify(r->bytes + (va - r->va), ci->size, va, &ic);
		in.len = (uint8_t)ci->size;
		in.cls = ic.cls;
		in.ctl = ic.ctl;
		in.target = ic.rel_size ? ic.target : 0;
		in.flags = fl;
		/*
		 * Bytes after an undecodable one are data too: rewriting them
		 * could make it decode differently (it may need them).
		 */
		if (va < taint)
			in.flags |= RW_IF_DATA;
		if (ic.nop)
			in.flags |= RW_IF_NOP;
		if (ic.pad)
			in.flags |= RW_IF_PAD;
		if (ic.lock)
			in.flags |= RW_IF_LOCK;
		if (ic.cls)
			in.flags |= RW_IF_SITE;
		if (r->kind == RW_RANGE_ALTREPL)
			in.flags |= RW_IF_ALTREPL;
		ret = rw_decode_push(c, &in);
		if (ret)
			return ret;
		va += ci->size;
	}
	return 0;
}

/**
 * rw_decode_all() - decode every code range of the context
 * @c:		context with ranges (sorted, disjoint) and function starts
 *
 * Return: 0 or -errno.
 */
int rw_decode_all(struct rw_ctx *c)
{
	cs_insn *ci;
	size_t i;
	csh h;
	int ret = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) != CS_ERR_OK)
		return rw_err_set(c->err, -ENOMEM, "cannot open capstone for x86-32");
	cs_option(h, CS_OPT_DETAIL, CS_OPT_OFF);
	cs_option(h, CS_OPT_SKIPDATA, CS_OPT_OFF);
	ci = cs_malloc(h);
	if (!ci) {
		cs_close(&h);
		return rw_err_set(c->err, -ENOMEM, "out of memory in capstone");
	}
	for (i = 0; i < c->nranges && !ret; i++)
		ret = rw_decode_range(c, h, i, ci);
	cs_free(ci, 1);
	cs_close(&h);
	return ret;
}

/**
 * rw_insn_covering() - the instruction whose bytes include an address
 * @c:		context
 * @va:		address
 *
 * Return: the instruction, or NULL if @va is in no decoded instruction.
 */
struct rw_insn *rw_insn_covering(struct rw_ctx *c, uint32_t va)
{
	size_t lo = 0, hi = c->ninsns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->insns[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (va - c->insns[lo - 1].va < c->insns[lo - 1].len)
		return &c->insns[lo - 1];
	return NULL;
}

/**
 * rw_insn_at() - the instruction starting at an address
 * @c:		context
 * @va:		address
 *
 * Return: the instruction, or NULL if none starts there.
 */
struct rw_insn *rw_insn_at(struct rw_ctx *c, uint32_t va)
{
	struct rw_insn *in = rw_insn_covering(c, va);

	return in && in->va == va ? in : NULL;
}

/**
 * rw_mark_range() - flag every instruction overlapping [va, va + len)
 * @c:		context
 * @va:		first address
 * @len:	bytes
 * @flag:	RW_IF_* to set
 */
void rw_mark_range(struct rw_ctx *c, uint32_t va, uint32_t len, uint16_t flag)
{
	struct rw_insn *in = rw_insn_covering(c, va);
	struct rw_insn *end = c->insns + c->ninsns;

	if (!in) {
		/* Start in a gap: take the first instruction after @va. */
		size_t lo = 0, hi = c->ninsns;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (c->insns[mid].va < va)
				lo = mid + 1;
			else
				hi = mid;
		}
		in = c->insns + lo;
	}
	for (; in < end && in->va < va + len; in++)
		in->flags |= flag;
}

/**
 * rw_decode_targets() - flag the targets of direct branches
 * @c:		context after decoding
 *
 * Targets in the middle of an instruction are counted (c->nmidtarget)
 * and the instruction they land in is flagged RW_IF_TARGET too, so it
 * is never moved.
 */
void rw_decode_targets(struct rw_ctx *c)
{
	size_t i;

	for (i = 0; i < c->ninsns; i++) {
		const struct rw_insn *in = &c->insns[i];
		struct rw_insn *t;

		if (!in->target || (in->flags & RW_IF_DATA))
			continue;
		if (in->ctl != RW_CTL_JCC && in->ctl != RW_CTL_JMP && in->ctl != RW_CTL_CALL)
			continue;
		t = rw_insn_covering(c, in->target);
		if (!t)
			continue;
		if (t->va != in->target)
			c->nmidtarget++;
		t->flags |= RW_IF_TARGET;
	}
}

/**
 * rw_decode_address_taken() - flag instructions whose address is stored somewhere
 * @c:		context after decoding
 *
 * Any aligned 32-bit word of a non-executable section, and any 4-byte
 * window inside an instruction, whose value is the address of a decoded
 * instruction makes that instruction a possible indirect branch target
 * (function pointers, IDT handlers, pushed return addresses).  This is
 * conservative: a false match only costs a stub.
 */
void rw_decode_address_taken(struct rw_ctx *c)
{
	uint32_t lo = c->ranges[0].va;
	uint32_t hi = c->ranges[c->nranges - 1].va + c->ranges[c->nranges - 1].size;
	size_t i;

	for (i = 0; i < c->elf.nsecs; i++) {
		const struct rw_elf_sec *s = &c->elf.secs[i];
		uint32_t o;

		if (s->type != RW_SHT_PROGBITS || (s->flags & RW_SHF_EXECINSTR) || !(s->flags & 2))
			continue;
		for (o = 0; o + 4 <= s->size; o += 4) {
			uint32_t v = rw_le32(c->buf + s->off + o);
			struct rw_insn *t;

			if (v < lo || v >= hi)
				continue;
			t = rw_insn_at(c, v);
			if (t && !(t->flags & RW_IF_TARGET)) {
				t->flags |= RW_IF_TARGET;
				c->naddrtaken++;
			}
		}
	}
	for (i = 0; i < c->ninsns; i++) {
		const struct rw_insn *in = &c->insns[i];
		const uint8_t *b;
		unsigned int k;

		if (in->len < 5 || (in->flags & RW_IF_DATA))
			continue;
		b = rw_elf_va_ptr(&c->elf, in->va, in->len);
		if (!b)
			continue;
		for (k = 1; k + 4 <= in->len; k++) {
			uint32_t v = rw_le32(b + k);
			struct rw_insn *t;

			if (v < lo || v >= hi)
				continue;
			t = rw_insn_at(c, v);
			if (t && !(t->flags & RW_IF_TARGET)) {
				t->flags |= RW_IF_TARGET;
				c->naddrtaken++;
			}
		}
	}
}
