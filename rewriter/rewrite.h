/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* rewrite.h - the rewriter's public API: rewrite a kernel image, check a rewritten one. */
#ifndef ULVM_REWRITER_REWRITE_H
#define ULVM_REWRITER_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/err.h"
#include "rewriter/sitetab_abi.h"

/**
 * struct rw_opts - how to rewrite
 * @patch_vaddr: guest VA of the patch area (0: ULVM_PATCH_VADDR_DEFAULT)
 * @vcpu_vaddr:	guest VA of the vCPU page (0: ULVM_VCPU_VADDR_DEFAULT)
 * @sysmap:	System.map text (may be NULL), @sysmap_len bytes
 * @rewrite_rdtsc: also rewrite rdtsc/rdtscp (default: left native)
 * @traps_only:	never make stubs (every site becomes a trap)
 * @no_move_calls: never move a call into a stub
 */
struct rw_opts {
	uint32_t patch_vaddr;
	uint32_t vcpu_vaddr;
	const char *sysmap;
	size_t sysmap_len;
	int rewrite_rdtsc;
	int traps_only;
	int no_move_calls;
};

/**
 * struct rw_stats - counts for the report
 * @per_class:	sites found, by class and disposition
 * @found:	sites found in all
 * @by_disp:	sites by disposition
 * @ninsns:	instructions decoded
 * @nfuncs:	function starts known
 * @nregions_stub: regions made stubs
 * @nregions_trap: regions left as traps
 * @nregions_short: stub regions reached by jmp rel8 through a slot
 * @ndesync:	decoding out of step at a function start
 * @ninvalid:	undecodable bytes in code
 * @nmidtarget:	direct branches into the middle of an instruction
 * @naddrtaken:	instructions made branch targets because their address is stored
 * @nextra:	valid instructions unknown to capstone, decoded by length table
 * @nalts, @nalts_inert, @npara, @nex, @nlocks, @nbugs, @njump: kernel tables
 * @hot_found:	sites of the hot classes (cli, sti, pushf, popf, iret) in text
 * @hot_stub:	those made stubs
 * @patch_size:	bytes of the patch area
 * @check_errors: rw_check(): inconsistencies found
 * @unaccounted: rw_check(): sensitive instructions in the image with no site record
 * @bytes_changed: rw_check() with the original: bytes that differ in the ELF part
 * @fentry:	address taken for __fentry__ (0: none found)
 * @nfentry_calls: calls to it (ftrace sites, never moved)
 */
struct rw_stats {
	uint32_t per_class[ULVM_SC_COUNT][ULVM_SD_COUNT];
	uint32_t found;
	uint32_t by_disp[ULVM_SD_COUNT];
	uint32_t ninsns, nfuncs, nregions_stub, nregions_trap, nregions_short;
	uint32_t ndesync, ninvalid, nmidtarget, naddrtaken, nextra;
	uint32_t nalts, nalts_inert, npara, nex, nlocks, nbugs, njump;
	uint32_t nfuncs_sym, nfuncs_map, nfuncs_ksym, nfuncs_pad, nfuncs_fentry;
	uint32_t hot_found, hot_stub;
	uint32_t patch_size;
	uint32_t check_errors, unaccounted, bytes_changed;
	uint32_t fentry, nfentry_calls;
};

/**
 * struct rw_out - a rewritten image
 * @image:	the patched ELF with the patch area and site table appended (malloc'ed)
 * @image_len:	its length
 * @sitetab:	the site table alone (malloc'ed)
 * @sitetab_len: its length
 * @stats:	counts
 */
struct rw_out {
	uint8_t *image;
	size_t image_len;
	uint8_t *sitetab;
	size_t sitetab_len;
	struct rw_stats stats;
};

int rw_rewrite(const uint8_t *elf, size_t len, const struct rw_opts *opts, struct rw_out *out,
	       struct rw_err *err) __attribute__((warn_unused_result));
void rw_out_free(struct rw_out *out);
int rw_check(const uint8_t *img, size_t len, const uint8_t *orig, size_t orig_len,
	     struct rw_stats *st, struct rw_err *err) __attribute__((warn_unused_result));
int rw_report_write(const struct rw_stats *st, const char *path, int to_stdout,
		    struct rw_err *err) __attribute__((warn_unused_result));

#endif /* ULVM_REWRITER_REWRITE_H */
