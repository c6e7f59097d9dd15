// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* report.c - the human-readable report: sites per class and disposition, tables, totals. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/rewrite.h"

/**
 * rw_report_print() - print the report
 * @st:		counters
 * @f:		stream
 */
static void rw_report_print(const struct rw_stats *st, FILE *f)
{
	uint32_t total[ULVM_SD_COUNT] = { 0 };
	unsigned int c, d;
	uint32_t placed, stubs, sum = 0;

	fprintf(f, "%-14s %7s %9s %9s %7s %9s %7s %7s\n", "class", "found", "stub-emul",
		"stub-call", "trap", "inert-alt", "native", "data");
	for (c = 1; c < ULVM_SC_COUNT; c++) {
		uint32_t found = 0;

		for (d = 1; d < ULVM_SD_COUNT; d++)
			found += st->per_class[c][d];
		if (!found)
			continue;
		fprintf(f, "%-14s %7u %9u %9u %7u %9u %7u %7u\n", rw_class_name(c), found,
			st->per_class[c][ULVM_SD_STUB_EMUL], st->per_class[c][ULVM_SD_STUB_CALL],
			st->per_class[c][ULVM_SD_TRAP], st->per_class[c][ULVM_SD_INERT_ALT],
			st->per_class[c][ULVM_SD_NATIVE], st->per_class[c][ULVM_SD_DATA]);
		for (d = 1; d < ULVM_SD_COUNT; d++)
			total[d] += st->per_class[c][d];
	}
	for (d = 1; d < ULVM_SD_COUNT; d++)
		sum += total[d];
	fprintf(f, "%-14s %7u %9u %9u %7u %9u %7u %7u\n", "total", st->found,
		total[ULVM_SD_STUB_EMUL], total[ULVM_SD_STUB_CALL], total[ULVM_SD_TRAP],
		total[ULVM_SD_INERT_ALT], total[ULVM_SD_NATIVE], total[ULVM_SD_DATA]);
	stubs = total[ULVM_SD_STUB_EMUL] + total[ULVM_SD_STUB_CALL];
	placed = stubs + total[ULVM_SD_TRAP];
	fprintf(f, "accounted: %u of %u sites (%s)\n", sum, st->found,
		sum == st->found ? "all" : "MISMATCH");
	fprintf(f, "rewritten: %u sites, %u to stubs (%.1f%%), %u to traps; regions: %u stubs (%u through a slot), %u traps; patch area %u bytes\n",
		placed, stubs, placed ? 100.0 * stubs / placed : 0.0, total[ULVM_SD_TRAP],
		st->nregions_stub, st->nregions_short, st->nregions_trap, st->patch_size);
	fprintf(f, "hot path (cli, sti, pushf, popf, iret in running code): %u of %u are stubs\n",
		st->hot_stub, st->hot_found);
	if (st->ninsns)
		fprintf(f, "decoded: %u instructions, %u function starts (symbols %u, System.map %u, ksymtab %u, __fentry__ calls %u, padding %u); out of step %u times, %u undecodable bytes, %u instructions unknown to capstone, %u branches into an instruction, %u address-taken targets\n",
			st->ninsns, st->nfuncs, st->nfuncs_sym, st->nfuncs_map, st->nfuncs_ksym,
			st->nfuncs_fentry, st->nfuncs_pad, st->ndesync, st->ninvalid, st->nextra, st->nmidtarget, st->naddrtaken);
	if (st->ninsns) {
		fprintf(f, "tables:\n");
		fprintf(f, "  .altinstructions: %u entries; %u made inert (instrlen = replacementlen = 0) because their original overlaps a region or their replacement holds a rewritten class\n",
			st->nalts, st->nalts_inert);
		fprintf(f, "  .parainstructions: %u sites (pv_ops calls, patched to direct calls): never moved, left intact\n",
			st->npara);
		fprintf(f, "  __ex_table: %u entries: faulting instructions never moved, fixups treated as branch targets\n",
			st->nex);
		fprintf(f, "  .smp_locks: %u lock prefixes: never moved\n", st->nlocks);
		fprintf(f, "  __bug_table: %u ud2 sites: never moved\n", st->nbugs);
		fprintf(f, "  __jump_table: %u entries found in data: code never moved, targets are branch targets%s\n",
			st->njump, st->njump ? "" : " (not found: jmp never moved)");
		fprintf(f, "  static calls: out-of-line trampolines on i386, outside every region: left intact\n");
		if (st->fentry)
			fprintf(f, "  ftrace (__mcount_loc): %u calls to __fentry__ (%#x), never moved: left intact\n",
				st->nfentry_calls, st->fentry);
		else
			fprintf(f, "  ftrace: no __fentry__ found; if the kernel has ftrace, use --no-move-calls\n");
	}
	if (st->check_errors || st->unaccounted || st->bytes_changed)
		fprintf(f, "check: %u problems, %u unaccounted sensitive instructions, %u bytes changed in the ELF part\n",
			st->check_errors, st->unaccounted, st->bytes_changed);
}

/**
 * rw_report_write() - write the report to a file and/or stdout
 * @st:		counters
 * @path:	file name, or NULL
 * @to_stdout:	also print it on stdout
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
int rw_report_write(const struct rw_stats *st, const char *path, int to_stdout, struct rw_err *err)
{
	FILE *f;

	if (to_stdout)
		rw_report_print(st, stdout);
	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f)
		return rw_err_set(err, -errno, "%s: cannot create: %s", path, strerror(errno));
	rw_report_print(st, f);
	if (fclose(f))
		return rw_err_set(err, -EIO, "%s: write failed", path);
	return 0;
}
