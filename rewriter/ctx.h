/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* ctx.h - private: the rewriter's analysis state shared by its passes. */
#ifndef ULVM_REWRITER_CTX_H
#define ULVM_REWRITER_CTX_H

/*
 * Theory of operation
 *
 * One struct rw_ctx holds a whole run: the parsed ELF (over a private
 * copy of the image bytes), the code ranges to decode, the sorted list of
 * known function starts, the decoded instructions (sorted by address, one
 * array over every range), the kernel's tables found by the OS module,
 * and the output: sites, regions, table patches and the patch area.
 * The passes run in order: os->find_funcs, rw_decode_all, os->mark_tables,
 * rw_decode_targets, rw_patch_plan, rw_patch_emit.  Each pass only adds
 * flags to instructions; none removes any.
 */

#include <stddef.h>
#include <stdint.h>

#include "rewriter/elf32.h"
#include "rewriter/err.h"
#include "rewriter/rewrite.h"
#include "rewriter/sitetab_abi.h"

/* struct rw_insn.flags */
#define RW_IF_TARGET 0x0001  /* a branch or fixup lands here */
#define RW_IF_FUNC 0x0002    /* a known function start */
#define RW_IF_NOMOVE 0x0004  /* referenced by a kernel table: never move */
#define RW_IF_DATA 0x0008    /* decoding was out of step here: data */
#define RW_IF_INVALID 0x0010 /* undecodable byte */
#define RW_IF_PHYS 0x0020    /* runs with paging off */
#define RW_IF_ALTREPL 0x0040 /* in .altinstr_replacement (never runs in place) */
#define RW_IF_ALTORIG 0x0080 /* in an alternative's original range */
#define RW_IF_NOP 0x0100
#define RW_IF_LOCK 0x0200
#define RW_IF_SITE 0x0400 /* sensitive */
#define RW_IF_EXTABLE 0x0800 /* has an exception-table entry */
#define RW_IF_PAD 0x1000     /* no-op or int3 */
#define RW_IF_USED 0x2000    /* dead padding taken by a region or a slot */

/**
 * struct rw_insn - one decoded instruction
 * @va:		address
 * @target:	absolute target of a direct branch, else 0
 * @len:	length in bytes
 * @cls:	enum ulvm_site_class
 * @ctl:	enum rw_ctl
 * @range:	index of its code range
 * @flags:	RW_IF_*
 */
struct rw_insn {
	uint32_t va;
	uint32_t target;
	uint8_t len;
	uint8_t cls;
	uint8_t ctl;
	uint8_t range;
	uint16_t flags;
};

/* Kinds of code range. */
#define RW_RANGE_TEXT 0
#define RW_RANGE_ALTREPL 1

/**
 * struct rw_range - executable bytes to decode
 * @name:	section name
 * @va:		first address
 * @size:	bytes
 * @bytes:	the bytes (inside rw_ctx.buf)
 * @kind:	RW_RANGE_*
 */
struct rw_range {
	const char *name;
	uint32_t va, size;
	const uint8_t *bytes;
	int kind;
};

/**
 * struct rw_alt - one .altinstructions entry
 * @entry_va:	address of the entry itself
 * @instr:	original range start
 * @repl:	replacement start
 * @instrlen:	original range length
 * @repllen:	replacement length
 * @cpuid:	feature word (with the inversion flag)
 * @inert:	made inert by the rewriter
 */
struct rw_alt {
	uint32_t entry_va, instr, repl;
	uint8_t instrlen, repllen;
	uint16_t cpuid;
	uint8_t inert;
};

#define RW_MAX_RANGES 16

/**
 * struct rw_tables - what was found of the kernel's run-time patch tables
 * @alts:	alternatives (@nalts)
 * @npara:	paravirt patch sites
 * @nex:	exception-table entries
 * @nlocks:	.smp_locks entries
 * @nbugs:	__bug_table entries
 * @njump:	jump-label entries found in data
 * @jump_va:	where the jump-label table was found (0: not found)
 * @nfuncs_ksym: function starts from __ksymtab
 * @nfuncs_pad:	function starts from int3 padding
 * @nfuncs_fentry: function starts from calls to __fentry__
 * @nfuncs_sym:	function starts from ELF symbols
 * @nfuncs_map:	function starts from System.map
 * @fentry:	address of __fentry__ (most frequent call target at function starts), 0 if unknown
 */
struct rw_tables {
	struct rw_alt *alts;
	size_t nalts;
	size_t npara, nex, nlocks, nbugs, njump;
	uint32_t jump_va;
	size_t nfuncs_ksym, nfuncs_pad, nfuncs_sym, nfuncs_map, nfuncs_fentry;
	uint32_t fentry;
};

struct rw_ctx;

/**
 * struct rw_os - what the rewriter knows about one guest OS, in one place
 * @name:	"linux-i386"
 * @id:		value for ulvm_st_header.os
 * @find_funcs:	add function starts the ELF symbols do not give
 * @mark_tables: parse the OS's patch tables and flag instructions
 * @neutralise:	make the OS's run-time patching consistent with the regions
 */
struct rw_os {
	const char *name;
	uint32_t id;
	int (*find_funcs)(struct rw_ctx *c);
	int (*mark_tables)(struct rw_ctx *c);
	int (*neutralise)(struct rw_ctx *c);
};

/**
 * struct rw_slot - dead padding able to hold a jmp rel32
 * @first:	index of its first padding instruction
 * @end:	one past its last
 */
struct rw_slot {
	size_t first, end;
};

/**
 * struct rw_ctx - one run of the rewriter
 * @opts:	options
 * @err:	error report
 * @buf:	private, writable copy of the input ELF (patched in place)
 * @len:	its length
 * @elf:	parsed view of @buf
 * @os:		the guest OS module
 * @page_offset: VA - PA of the kernel image
 * @ranges:	code ranges (@nranges)
 * @funcs:	sorted unique function starts (@nfuncs, @capfuncs)
 * @insns:	decoded instructions sorted by address (@ninsns, @capinsns)
 * @ndesync:	times decoding lost step at a function start
 * @ninvalid:	undecodable bytes
 * @nmidtarget:	direct branches into the middle of an instruction
 * @naddrtaken:	instructions whose address appears as a 32-bit value in data or code
 * @nextra:	valid instructions capstone does not know (rw_classify_extra_len())
 * @tab:	kernel tables
 * @sites:	output site records (@nsites, @capsites)
 * @regions:	output regions (@nregions, @capregions)
 * @tabpatches:	output table patches (@ntabpatches, @captabpatches)
 * @patch:	the patch area bytes (@patch_len, @patch_cap)
 * @slots:	dead padding for short regions (@nslots, @capslots)
 * @stats:	counters for the report
 */
struct rw_ctx {
	struct rw_opts opts;
	struct rw_err *err;
	uint8_t *buf;
	size_t len;
	struct rw_elf elf;
	const struct rw_os *os;
	uint32_t page_offset;
	struct rw_range ranges[RW_MAX_RANGES];
	size_t nranges;
	uint32_t *funcs;
	size_t nfuncs, capfuncs;
	struct rw_insn *insns;
	size_t ninsns, capinsns;
	size_t ndesync, ninvalid, nmidtarget, naddrtaken, nextra;
	struct rw_tables tab;
	struct ulvm_st_site *sites;
	size_t nsites, capsites;
	struct ulvm_st_region *regions;
	size_t nregions, capregions;
	struct ulvm_st_tabpatch *tabpatches;
	size_t ntabpatches, captabpatches;
	uint8_t *patch;
	size_t patch_len, patch_cap;
	struct rw_slot *slots;
	size_t nslots, capslots;
	struct rw_stats stats;
};

/* decode.c */
int rw_decode_all(struct rw_ctx *c) __attribute__((warn_unused_result));
void rw_decode_targets(struct rw_ctx *c);
void rw_decode_address_taken(struct rw_ctx *c);
struct rw_insn *rw_insn_at(struct rw_ctx *c, uint32_t va);
struct rw_insn *rw_insn_covering(struct rw_ctx *c, uint32_t va);
void rw_mark_range(struct rw_ctx *c, uint32_t va, uint32_t len, uint16_t flag);

/* symbols.c */
int rw_sym_add(struct rw_ctx *c, uint32_t va) __attribute__((warn_unused_result));
void rw_sym_sort(struct rw_ctx *c);
int rw_sym_from_elf(struct rw_ctx *c) __attribute__((warn_unused_result));
int rw_sym_from_map(struct rw_ctx *c, const char *text, size_t len)
	__attribute__((warn_unused_result));
int rw_sym_is_code(const struct rw_ctx *c, uint32_t va);
uint32_t rw_sym_next(const struct rw_ctx *c, uint32_t va);

/* patch.c */
int rw_patch_plan(struct rw_ctx *c) __attribute__((warn_unused_result));
int rw_patch_tabpatch(struct rw_ctx *c, uint32_t va, const uint8_t *newb, uint8_t len, uint8_t kind)
	__attribute__((warn_unused_result));

/* linux.c */
extern const struct rw_os rw_os_linux;

#endif /* ULVM_REWRITER_CTX_H */
