// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* linux.c - everything the rewriter knows about the i386 Linux kernel (6.1), in one place. */

/*
 * Theory of operation
 *
 * Function starts.  Debian's vmlinux has no symbol table and a stub
 * System.map, so we take the exported symbols (__ksymtab, __ksymtab_gpl:
 * 12-byte entries of PC-relative offsets) and the starts after the int3
 * padding the linker puts between functions: a 16-byte aligned address
 * preceded by 0xcc whose first instruction is "call __fentry__" (the
 * most frequent call target at such places) or "push %ebp"; and, once
 * __fentry__ is known, every "call __fentry__" anywhere (the first
 * instruction of each traced function; a false match would show up as
 * decoding out of step, which the report counts).
 *
 * Tables (6.1 layouts, each entry checked before use):
 *  .altinstructions  {s32 instr, s32 repl, u16 cpuid, u8 instrlen, u8 repllen}
 *  .parainstructions {u32 instr, u8 type, u8 len, u16 pad}: indirect calls
 *                    through pv_ops, patched to direct calls: never moved
 *  __ex_table        {s32 insn, s32 fixup, s32 data}: insn never moved
 *                    unless it is a site (the monitor delivers faults of an
 *                    emulated site at its original address), fixup is a
 *                    branch target
 *  .smp_locks        {s32 lock-prefix}: never moved
 *  __bug_table       {u32 addr, u32 file, u16 line, u16 flags} (absolute on
 *                    i386): ud2, never moved
 *  __jump_table      {s32 code, s32 target, s32 key}, merged into .data
 *                    without a symbol: found as the longest run of entries
 *                    whose code is a jmp rel32 or the 5-byte nop and whose
 *                    target is code; code never moved, target a branch target
 * Static calls are out of line on i386 (trampolines: jmp/ret, never part
 * of a region since regions never cross a function start), and ftrace's
 * mcount sites are "call __fentry__": calls to the __fentry__ found above
 * are never moved, so neither can overlap a region.
 *
 * Head code.  From the entry point to the far jump that follows the
 * write of CR0 (paging on), and in the functions it calls directly, code
 * runs at physical addresses: sites there are always traps.
 *
 * Neutralising.  An alternative whose original range overlaps a region,
 * or whose replacement holds a sensitive instruction we would otherwise
 * rewrite, is made inert: its instrlen and replacementlen are zeroed, so
 * apply_alternatives() copies nothing and optimize_nops() touches nothing.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/ctx.h"

#define LINUX_ALT_SIZE 12
#define LINUX_PARA_SIZE 8
#define LINUX_EX_SIZE 12
#define LINUX_BUG_SIZE 12
#define LINUX_JUMP_SIZE 12
#define LINUX_JUMP_MIN_RUN 16

static int32_t linux_s32(const uint8_t *p)
{
	return (int32_t)rw_le32(p);
}

/**
 * linux_section() - a named section with file bytes
 * @c:		context
 * @name:	section name
 *
 * Return: the section, or NULL if absent, without bytes, or not loaded
 * from its own file bytes.
 */
static const struct rw_elf_sec *linux_section(const struct rw_ctx *c, const char *name)
{
	const struct rw_elf_sec *s = rw_elf_section(&c->elf, name);
	size_t off;

	if (!s || s->type == RW_SHT_NOBITS || !s->size)
		return NULL;
	/* Only if its file bytes are what is loaded at its address. */
	if (rw_elf_va_off(&c->elf, s->addr, s->size, &off) || off != s->off ||
	    rw_elf_hits_headers(&c->elf, off, s->size))
		return NULL;
	return s;
}

/**
 * linux_ksymtab() - function starts from one __ksymtab section
 * @c:		context
 * @name:	section name
 *
 * Return: 0 or -errno.
 */
static int linux_ksymtab(struct rw_ctx *c, const char *name)
{
	const struct rw_elf_sec *s = linux_section(c, name);
	uint32_t i;
	int ret;

	if (!s)
		return 0;
	for (i = 0; i + 12 <= s->size; i += 12) {
		uint32_t va = s->addr + i + (uint32_t)linux_s32(c->buf + s->off + i);

		if (!rw_sym_is_code(c, va))
			continue;
		ret = rw_sym_add(c, va);
		if (ret)
			return ret;
		c->tab.nfuncs_ksym++;
	}
	return 0;
}

static int linux_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/**
 * linux_padding() - function starts after int3 padding
 * @c:		context
 *
 * Return: 0 or -errno.
 */
static int linux_padding(struct rw_ctx *c)
{
	uint32_t *tg = NULL, best = 0;
	size_t ntg = 0, cap = 0, i, run, bestrun = 0;
	int ret = 0;

	/* Pass 1: __fentry__ is the most frequent target of a call at such a place. */
	for (i = 0; i < c->nranges; i++) {
		const struct rw_range *r = &c->ranges[i];
		uint32_t a;

		if (r->kind != RW_RANGE_TEXT)
			continue;
		for (a = (r->va + 16) & ~15u; a >= r->va + 1 && a + 5 <= r->va + r->size; a += 16) {
			const uint8_t *p = r->bytes + (a - r->va);

			if (p[-1] != 0xcc || p[0] != 0xe8)
				continue;
			if (ntg == cap) {
				uint32_t *n;

				cap = cap ? cap * 2 : 4096;
				n = realloc(tg, cap * sizeof(*n));
				if (!n) {
					free(tg);
					return rw_err_set(c->err, -ENOMEM, "out of memory");
				}
				tg = n;
			}
			tg[ntg++] = a + 5 + (uint32_t)linux_s32(p + 1);
		}
	}
	if (ntg) {
		qsort(tg, ntg, sizeof(*tg), linux_u32_cmp);
		for (i = 0, run = 0; i < ntg; i++) {
			run = (i && tg[i] == tg[i - 1]) ? run + 1 : 1;
			if (run > bestrun) {
				bestrun = run;
				best = tg[i];
			}
		}
	}
	free(tg);
	if (bestrun >= 16)
		c->tab.fentry = best;

	/* Pass 2: every "call __fentry__" is the first instruction of a function. */
	for (i = 0; c->tab.fentry && i < c->nranges && !ret; i++) {
		const struct rw_range *r = &c->ranges[i];
		uint32_t o;

		if (r->kind != RW_RANGE_TEXT)
			continue;
		for (o = 0; o + 5 <= r->size && !ret; o++) {
			const uint8_t *p = r->bytes + o;

			if (p[0] != 0xe8 || r->va + o + 5 + (uint32_t)linux_s32(p + 1) != c->tab.fentry)
				continue;
			ret = rw_sym_add(c, r->va + o);
			c->tab.nfuncs_fentry++;
		}
	}

	/* Pass 3: starts after int3 padding. */
	for (i = 0; i < c->nranges && !ret; i++) {
		const struct rw_range *r = &c->ranges[i];
		uint32_t a;

		if (r->kind != RW_RANGE_TEXT)
			continue;
		for (a = (r->va + 16) & ~15u; a >= r->va + 1 && a + 5 <= r->va + r->size; a += 16) {
			const uint8_t *p = r->bytes + (a - r->va);
			int ok = 0;

			if (p[-1] != 0xcc)
				continue;
			if (p[0] == 0xe8 && c->tab.fentry &&
			    a + 5 + (uint32_t)linux_s32(p + 1) == c->tab.fentry)
				ok = 1;
			else if (p[0] == 0x55)
				ok = 1;
			if (!ok)
				continue;
			ret = rw_sym_add(c, a);
			c->tab.nfuncs_pad++;
		}
	}
	return ret;
}

/**
 * linux_find_funcs() - function starts for a kernel without symbols
 * @c:		context
 *
 * Return: 0 or -errno.
 */
static int linux_find_funcs(struct rw_ctx *c)
{
	int ret;

	ret = linux_ksymtab(c, "__ksymtab");
	if (!ret)
		ret = linux_ksymtab(c, "__ksymtab_gpl");
	if (!ret)
		ret = linux_padding(c);
	/* The entry point (a physical address) is a function start too. */
	if (!ret)
		ret = rw_sym_add(c, c->elf.entry + c->page_offset);
	return ret;
}

/**
 * linux_alts() - parse .altinstructions
 * @c:		context
 *
 * Return: 0 or -errno.
 */
static int linux_alts(struct rw_ctx *c)
{
	const struct rw_elf_sec *s = linux_section(c, ".altinstructions");
	size_t n, i, bad = 0;

	if (!s)
		return 0;
	n = s->size / LINUX_ALT_SIZE;
	c->tab.alts = calloc(n ? n : 1, sizeof(*c->tab.alts));
	if (!c->tab.alts)
		return rw_err_set(c->err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const uint8_t *p = c->buf + s->off + i * LINUX_ALT_SIZE;
		uint32_t eva = s->addr + (uint32_t)(i * LINUX_ALT_SIZE);
		struct rw_alt *a = &c->tab.alts[c->tab.nalts];

		a->entry_va = eva;
		a->instr = eva + (uint32_t)linux_s32(p);
		a->repl = eva + 4 + (uint32_t)linux_s32(p + 4);
		a->cpuid = rw_le16(p + 8);
		a->instrlen = p[10];
		a->repllen = p[11];
		if (!rw_elf_va_ptr(&c->elf, a->instr, a->instrlen) ||
		    !rw_elf_va_ptr(&c->elf, a->repl, a->repllen)) {
			bad++;
			continue;
		}
		rw_mark_range(c, a->instr, a->instrlen, RW_IF_ALTORIG);
		c->tab.nalts++;
	}
	if (bad > n / 10)
		return rw_err_set(c->err, -EBADMSG,
				  ".altinstructions: %zu of %zu entries unreadable: layout not the 6.1 one",
				  bad, n);
	return 0;
}

/**
 * linux_para() - parse .parainstructions: never move a pv call site
 * @c:		context
 */
static void linux_para(struct rw_ctx *c)
{
	const struct rw_elf_sec *s = linux_section(c, ".parainstructions");
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i + LINUX_PARA_SIZE <= s->size; i += LINUX_PARA_SIZE) {
		const uint8_t *p = c->buf + s->off + i;
		uint32_t va = rw_le32(p);

		if (!rw_sym_is_code(c, va))
			continue;
		rw_mark_range(c, va, p[5] ? p[5] : 1, RW_IF_NOMOVE);
		c->tab.npara++;
	}
}

/**
 * linux_rel_table() - walk a table of PC-relative pointers
 * @c:		context
 * @name:	section name
 * @esize:	entry size
 * @field:	offset of the pointer in the entry
 * @flag:	flag for the instruction it points to
 * @count:	incremented per entry pointing into code
 */
static void linux_rel_table(struct rw_ctx *c, const char *name, uint32_t esize, uint32_t field,
			    uint16_t flag, size_t *count)
{
	const struct rw_elf_sec *s = linux_section(c, name);
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i + esize <= s->size; i += esize) {
		uint32_t at = s->addr + i + field;
		uint32_t va = at + (uint32_t)linux_s32(c->buf + s->off + i + field);
		struct rw_insn *in = rw_insn_covering(c, va);

		if (!in)
			continue;
		in->flags |= flag;
		if (count)
			(*count)++;
	}
}

/**
 * linux_bug_table() - __bug_table: absolute ud2 addresses, never moved
 * @c:		context
 */
static void linux_bug_table(struct rw_ctx *c)
{
	const struct rw_elf_sec *s = linux_section(c, "__bug_table");
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i + LINUX_BUG_SIZE <= s->size; i += LINUX_BUG_SIZE) {
		struct rw_insn *in = rw_insn_at(c, rw_le32(c->buf + s->off + i));

		if (!in)
			continue;
		in->flags |= RW_IF_NOMOVE;
		c->tab.nbugs++;
	}
}

/**
 * linux_jump_ok() - does a 12-byte candidate look like a jump_entry?
 * @c:		context
 * @eva:	its address
 * @p:		its bytes
 *
 * Return: 1 or 0.
 */
static int linux_jump_ok(struct rw_ctx *c, uint32_t eva, const uint8_t *p)
{
	uint32_t code = eva + (uint32_t)linux_s32(p);
	uint32_t target = eva + 4 + (uint32_t)linux_s32(p + 4);
	const uint8_t *b;

	if (!rw_sym_is_code(c, code) || !rw_sym_is_code(c, target))
		return 0;
	b = rw_elf_va_ptr(&c->elf, code, 5);
	if (!b)
		return 0;
	if (b[0] == 0xe9 || b[0] == 0xeb)	/* jmp: the assembler picks rel8 or rel32 */
		return 1;
	if (!memcmp(b, "\x66\x90", 2))		/* 2-byte nop of a jmp rel8 site */
		return 1;
	if (!memcmp(b, "\x3e\x8d\x74\x26\x00", 5) || !memcmp(b, "\x0f\x1f\x44\x00\x00", 5))
		return 1;
	return 0;
}

/**
 * linux_jump_table() - find __jump_table in the writable sections and use it
 * @c:		context
 */
static void linux_jump_table(struct rw_ctx *c)
{
	size_t si;

	for (si = 0; si < c->elf.nsecs; si++) {
		const struct rw_elf_sec *s = &c->elf.secs[si];
		uint32_t o;

		if (s->type != RW_SHT_PROGBITS || !(s->flags & 1 /* SHF_WRITE */) ||
		    (s->flags & RW_SHF_EXECINSTR))
			continue;
		for (o = 0; o + LINUX_JUMP_SIZE <= s->size;) {
			uint32_t k = 0, j;

			while (o + (k + 1) * LINUX_JUMP_SIZE <= s->size &&
			       linux_jump_ok(c, s->addr + o + k * LINUX_JUMP_SIZE,
					     c->buf + s->off + o + k * LINUX_JUMP_SIZE))
				k++;
			if (k < LINUX_JUMP_MIN_RUN) {
				o += 4;
				continue;
			}
			if (!c->tab.jump_va)
				c->tab.jump_va = s->addr + o;
			for (j = 0; j < k; j++) {
				uint32_t eva = s->addr + o + j * LINUX_JUMP_SIZE;
				const uint8_t *p = c->buf + s->off + o + j * LINUX_JUMP_SIZE;
				struct rw_insn *in;

				in = rw_insn_covering(c, eva + (uint32_t)linux_s32(p));
				if (in)
					in->flags |= RW_IF_NOMOVE;
				in = rw_insn_covering(c, eva + 4 + (uint32_t)linux_s32(p + 4));
				if (in)
					in->flags |= RW_IF_TARGET;
				c->tab.njump++;
			}
			o += k * LINUX_JUMP_SIZE;
		}
	}
}

/**
 * linux_head() - flag code that runs with paging off
 * @c:		context
 */
static void linux_head(struct rw_ctx *c)
{
	uint32_t entry = c->elf.entry + c->page_offset;
	struct rw_insn *in = rw_insn_at(c, entry), *end = c->insns + c->ninsns;
	int cr0 = 0;

	if (!in || !c->page_offset)
		return;
	for (; in < end; in++) {
		const uint8_t *b = rw_elf_va_ptr(&c->elf, in->va, in->len);

		in->flags |= RW_IF_PHYS;
		if (!b)
			break;
		if (in->ctl == RW_CTL_CALL && in->target) {
			uint32_t t = in->target, tend = rw_sym_next(c, t);

			if (tend != 0xffffffffu && tend - t < 0x10000)
				rw_mark_range(c, t, tend - t, RW_IF_PHYS);
		}
		if (in->len >= 3 && b[0] == 0x0f && b[1] == 0x22 && ((b[2] >> 3) & 7) == 0)
			cr0 = 1;
		if (cr0 && b[0] == 0xea)
			break;
	}
}

/**
 * linux_mark_tables() - parse the kernel's patch tables and flag instructions
 * @c:		context after decoding
 *
 * Return: 0 or -errno.
 */
static int linux_mark_tables(struct rw_ctx *c)
{
	int ret = linux_alts(c);

	if (ret)
		return ret;
	linux_para(c);
	linux_rel_table(c, "__ex_table", LINUX_EX_SIZE, 0, RW_IF_EXTABLE, &c->tab.nex);
	linux_rel_table(c, "__ex_table", LINUX_EX_SIZE, 4, RW_IF_TARGET, NULL);
	linux_rel_table(c, ".smp_locks", 4, 0, RW_IF_NOMOVE, &c->tab.nlocks);
	linux_bug_table(c);
	linux_jump_table(c);
	linux_head(c);
	return 0;
}

/**
 * linux_neutralise() - make alternatives consistent with the rewrite
 * @c:		context after planning
 *
 * Return: 0 or -errno.
 */
static int linux_neutralise(struct rw_ctx *c)
{
	static const uint8_t zero[2] = { 0, 0 };
	size_t i;
	int ret;

	for (i = 0; i < c->tab.nalts; i++) {
		struct rw_alt *a = &c->tab.alts[i];
		size_t k;
		int inert = 0;

		/* Regions are sorted: any overlapping the original range? */
		for (k = 0; k < c->nregions && !inert; k++) {
			const struct ulvm_st_region *rg = &c->regions[k];

			if (rg->vaddr < a->instr + a->instrlen && a->instr < rg->vaddr + rg->len)
				inert = 1;
		}
		for (k = 0; k < c->nsites && !inert; k++) {
			const struct ulvm_st_site *st = &c->sites[k];

			if (st->disp == ULVM_SD_INERT_ALT && st->vaddr >= a->repl &&
			    st->vaddr < a->repl + a->repllen)
				inert = 1;
		}
		if (!inert)
			continue;
		ret = rw_patch_tabpatch(c, a->entry_va + 10, zero, 2, ULVM_TP_ALT_INERT);
		if (ret)
			return ret;
		a->inert = 1;
	}
	return 0;
}

const struct rw_os rw_os_linux = {
	.name = "linux-i386",
	.id = 1,
	.find_funcs = linux_find_funcs,
	.mark_tables = linux_mark_tables,
	.neutralise = linux_neutralise,
};
