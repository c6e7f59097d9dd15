// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* sites.c - load and look up the site table of a rewritten kernel.
 *
 * Theory of operation: ulvm-rewrite stores the table (rewriter/
 * sitetab_abi.h) in a non-loaded program header of the rewritten ELF.  The
 * loader hands the bytes to sites_parse(), which copies them, checks every
 * size and count against the blob before any record is read, and sorts the
 * site indices by guest VA.  A site left as an int3 trap is found again by
 * the address of its int3 (sites_find()); records are always copied out
 * with memcpy, never accessed in place, since the record sizes come from
 * the file.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/sites.h"

static const struct sites *sites_sort_ctx;

static uint32_t sites_vaddr(const struct sites *st, uint32_t i)
{
	struct ulvm_st_site s;

	if (sites_get(st, i, &s))
		return 0;
	return s.vaddr;
}

static int sites_cmp(const void *a, const void *b)
{
	uint32_t va = sites_vaddr(sites_sort_ctx, *(const uint32_t *)a);
	uint32_t vb = sites_vaddr(sites_sort_ctx, *(const uint32_t *)b);

	return va < vb ? -1 : va > vb;
}

/**
 * sites_parse() - validate and keep a site table
 * @st:		table, zeroed by the caller
 * @blob:	the bytes of the table
 * @len:	their number
 * @why:	on failure, a static message
 *
 * Return: 0, -EINVAL (malformed), -ENOTSUP (another version), -ENOMEM.
 */
int sites_parse(struct sites *st, const uint8_t *blob, size_t len, const char **why)
{
	struct ulvm_st_header h;
	uint64_t need;
	uint32_t i;

	memset(st, 0, sizeof(*st));
	if (len < sizeof(h)) {
		*why = "site table shorter than its header";
		return -EINVAL;
	}
	memcpy(&h, blob, sizeof(h));
	if (memcmp(h.magic, ULVM_SITETAB_MAGIC, 8)) {
		*why = "site table without its magic";
		return -EINVAL;
	}
	if (h.version != ULVM_SITETAB_VERSION) {
		*why = "site table of another version";
		return -ENOTSUP;
	}
	if (h.header_size < sizeof(h) || h.region_size < sizeof(struct ulvm_st_region) ||
	    h.site_size < sizeof(struct ulvm_st_site) ||
	    h.tabpatch_size < sizeof(struct ulvm_st_tabpatch)) {
		*why = "site table record sizes too small";
		return -EINVAL;
	}
	need = (uint64_t)h.header_size + (uint64_t)h.nregions * h.region_size +
	       (uint64_t)h.nsites * h.site_size + (uint64_t)h.ntabpatches * h.tabpatch_size;
	if (need > len) {
		*why = "site table records beyond its end";
		return -EINVAL;
	}
	st->blob = malloc(len);
	st->order = malloc(((size_t)h.nsites + 1) * sizeof(uint32_t));
	if (!st->blob || !st->order) {
		sites_free(st);
		return -ENOMEM;
	}
	memcpy(st->blob, blob, len);
	st->len = len;
	st->hdr = h;
	for (i = 0; i < h.nsites; i++) {
		struct ulvm_st_site s;

		sites_get(st, i, &s);
		if (s.id != i || !s.len || s.len > sizeof(s.insn)) {
			*why = "site record with a bad id or length";
			sites_free(st);
			return -EINVAL;
		}
		if (s.disp == ULVM_SD_TRAP)
			st->ntrap++;
		else if (s.disp == ULVM_SD_STUB_EMUL || s.disp == ULVM_SD_STUB_CALL)
			st->nstub++;
		st->order[i] = i;
	}
	sites_sort_ctx = st;
	qsort(st->order, h.nsites, sizeof(uint32_t), sites_cmp);
	sites_sort_ctx = NULL;
	return 0;
}

void sites_free(struct sites *st)
{
	free(st->blob);
	free(st->order);
	memset(st, 0, sizeof(*st));
}

/**
 * sites_get() - copy out site record @i
 * @st:		table
 * @i:		index
 * @out:	record
 *
 * Return: 0, or -ENOENT.
 */
int sites_get(const struct sites *st, uint32_t i, struct ulvm_st_site *out)
{
	size_t off;

	if (!st->blob || i >= st->hdr.nsites)
		return -ENOENT;
	off = st->hdr.header_size + (size_t)st->hdr.nregions * st->hdr.region_size +
	      (size_t)i * st->hdr.site_size;
	memcpy(out, st->blob + off, sizeof(*out));
	return 0;
}

/**
 * sites_find() - the trap site whose int3 is at @vaddr
 * @st:		table
 * @vaddr:	guest VA of the int3
 * @out:	record
 *
 * Return: 0, or -ENOENT when no site left as a trap starts there.
 */
int sites_find(const struct sites *st, uint32_t vaddr, struct ulvm_st_site *out)
{
	uint32_t lo = 0, hi = st->hdr.nsites;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sites_get(st, st->order[mid], out))
			return -ENOENT;
		if (out->vaddr == vaddr)
			return out->disp == ULVM_SD_TRAP ? 0 : -ENOENT;
		if (out->vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}
