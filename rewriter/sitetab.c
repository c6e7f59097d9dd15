// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* sitetab.c - serialising and parsing the site table, with every count and size checked. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"

#include "rewriter/sitetab.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the site table is little-endian and copied as is");

/**
 * rw_sitetab_serialize() - lay a table out as bytes
 * @t:		the table (@t->h counts must match the arrays)
 * @buf:	set to a malloc'ed buffer
 * @len:	set to its length
 * @err:	error report
 *
 * Return: 0 or -ENOMEM.
 */
int rw_sitetab_serialize(const struct rw_sitetab *t, uint8_t **buf, size_t *len,
			 struct rw_err *err)
{
	size_t rl = (size_t)t->h.nregions * sizeof(struct ulvm_st_region);
	size_t sl = (size_t)t->h.nsites * sizeof(struct ulvm_st_site);
	size_t tl = (size_t)t->h.ntabpatches * sizeof(struct ulvm_st_tabpatch);
	struct ulvm_st_header h = t->h;
	uint8_t *b;

	memcpy(h.magic, ULVM_SITETAB_MAGIC, 8);
	h.version = ULVM_SITETAB_VERSION;
	h.header_size = sizeof(h);
	h.region_size = sizeof(struct ulvm_st_region);
	h.site_size = sizeof(struct ulvm_st_site);
	h.tabpatch_size = sizeof(struct ulvm_st_tabpatch);
	*len = sizeof(h) + rl + sl + tl;
	b = malloc(*len);
	if (!b)
		return rw_err_set(err, -ENOMEM, "out of memory for the site table");
	memcpy(b, &h, sizeof(h));
	if (rl)
		memcpy(b + sizeof(h), t->regions, rl);
	if (sl)
		memcpy(b + sizeof(h) + rl, t->sites, sl);
	if (tl)
		memcpy(b + sizeof(h) + rl + sl, t->tabpatches, tl);
	*buf = b;
	return 0;
}

/**
 * rw_sitetab_array() - copy one checked array out of the blob
 * @dst:	set to a malloc'ed copy (NULL when @n is 0)
 * @buf:	blob
 * @len:	blob length
 * @off:	in/out: offset of the array, advanced past it
 * @n:		records
 * @rsize:	record size on disk (>= @msize)
 * @msize:	record size in memory
 *
 * Return: 0, -EBADMSG (out of bounds) or -ENOMEM.
 */
static int rw_sitetab_array(void **dst, const uint8_t *buf, size_t len, size_t *off, uint32_t n,
			    uint32_t rsize, size_t msize)
{
	uint8_t *d;
	uint32_t i;

	*dst = NULL;
	if (!n)
		return 0;
	if (rsize < msize || (uint64_t)n * rsize > len - *off)
		return -EBADMSG;
	d = calloc(n, msize);
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		memcpy(d + (size_t)i * msize, buf + *off + (size_t)i * rsize, msize);
	*off += (size_t)n * rsize;
	*dst = d;
	return 0;
}

/**
 * rw_sitetab_parse() - read and check a serialised table
 * @t:		filled in; free with rw_sitetab_free()
 * @buf:	the bytes
 * @len:	their number
 * @err:	error report
 *
 * Besides bounds, checks that regions are sorted and disjoint, that each
 * region's sites exist, and that every site's region index is valid.
 *
 * Return: 0, -EBADMSG or -ENOMEM.
 */
int rw_sitetab_parse(struct rw_sitetab *t, const uint8_t *buf, size_t len, struct rw_err *err)
{
	size_t off;
	uint32_t i;
	int ret;

	memset(t, 0, sizeof(*t));
	if (len < 16 || memcmp(buf, ULVM_SITETAB_MAGIC, 8))
		return rw_err_set(err, -EBADMSG, "site table: bad magic");
	memcpy(&t->h, buf, len < sizeof(t->h) ? len : sizeof(t->h));
	if (t->h.version != ULVM_SITETAB_VERSION)
		return rw_err_set(err, -EBADMSG, "site table: version %u, this reader knows %u",
				  t->h.version, ULVM_SITETAB_VERSION);
	if (len < sizeof(t->h) || t->h.header_size < sizeof(t->h) || t->h.header_size > len)
		return rw_err_set(err, -EBADMSG, "site table: truncated header");
	off = t->h.header_size;
	ret = rw_sitetab_array((void **)&t->regions, buf, len, &off, t->h.nregions,
			       t->h.region_size, sizeof(struct ulvm_st_region));
	if (!ret)
		ret = rw_sitetab_array((void **)&t->sites, buf, len, &off, t->h.nsites,
				       t->h.site_size, sizeof(struct ulvm_st_site));
	if (!ret)
		ret = rw_sitetab_array((void **)&t->tabpatches, buf, len, &off, t->h.ntabpatches,
				       t->h.tabpatch_size, sizeof(struct ulvm_st_tabpatch));
	if (ret) {
		rw_sitetab_free(t);
		return rw_err_set(err, ret, "site table: %s",
				  ret == -ENOMEM ? "out of memory" : "records run past its end");
	}
	for (i = 0; i < t->h.nregions; i++) {
		const struct ulvm_st_region *r = &t->regions[i];

		if (r->len == 0 || r->len > ULVM_REGION_MAX ||
		    (uint64_t)r->first_site + r->nsites > t->h.nsites ||
		    (i && (uint64_t)t->regions[i - 1].vaddr + t->regions[i - 1].len > r->vaddr)) {
			rw_sitetab_free(t);
			return rw_err_set(err, -EBADMSG, "site table: region %u is inconsistent", i);
		}
	}
	for (i = 0; i < t->h.nsites; i++) {
		const struct ulvm_st_site *s = &t->sites[i];

		if (s->id != i || s->len == 0 || s->len > 15 || s->cls >= ULVM_SC_COUNT ||
		    s->disp == 0 || s->disp >= ULVM_SD_COUNT ||
		    (s->region != ULVM_ST_NO_REGION && s->region >= t->h.nregions)) {
			rw_sitetab_free(t);
			return rw_err_set(err, -EBADMSG, "site table: site %u is inconsistent", i);
		}
	}
	for (i = 0; i < t->h.ntabpatches; i++)
		if (t->tabpatches[i].len > 8) {
			rw_sitetab_free(t);
			return rw_err_set(err, -EBADMSG, "site table: table patch %u is inconsistent", i);
		}
	return 0;
}

/**
 * rw_sitetab_free() - release a parsed table
 * @t:		the table
 */
void rw_sitetab_free(struct rw_sitetab *t)
{
	free(t->regions);
	free(t->sites);
	free(t->tabpatches);
	t->regions = NULL;
	t->sites = NULL;
	t->tabpatches = NULL;
}

/**
 * rw_sitetab_find() - the site at an address (sites are sorted by address)
 * @t:		table
 * @va:		address
 *
 * Return: the site, or NULL.
 */
const struct ulvm_st_site *rw_sitetab_find(const struct rw_sitetab *t, uint32_t va)
{
	size_t lo = 0, hi = t->h.nsites;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->sites[mid].vaddr < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->h.nsites && t->sites[lo].vaddr == va ? &t->sites[lo] : NULL;
}

/**
 * rw_sitetab_dump() - print a table as text, one line per region and site
 * @t:		the table
 * @f:		stream
 */
void rw_sitetab_dump(const struct rw_sitetab *t, FILE *f)
{
	static const char *const kinds[] = { "?", "stub", "trap", "stub-short" };
	uint32_t i, j;

	fprintf(f, "# site table v%u: %u regions, %u sites, %u table patches; patch area %#x+%#x, vcpu page %#x, page offset %#x\n",
		t->h.version, t->h.nregions, t->h.nsites, t->h.ntabpatches, t->h.patch_vaddr,
		t->h.patch_size, t->h.vcpu_vaddr, t->h.page_offset);
	for (i = 0; i < t->h.nregions; i++) {
		const struct ulvm_st_region *r = &t->regions[i];

		fprintf(f, "region %u %#x+%u %s", i, r->vaddr, r->len, kinds[r->kind < 4 ? r->kind : 0]);
		if (r->stub)
			fprintf(f, " stub %#x+%u", r->stub, r->stub_len);
		if (r->via)
			fprintf(f, " via %#x+%u", r->via, r->via_len);
		fprintf(f, " orig");
		for (j = 0; j < r->len; j++)
			fprintf(f, " %02x", r->orig[j]);
		fputc('\n', f);
	}
	for (i = 0; i < t->h.nsites; i++) {
		const struct ulvm_st_site *s = &t->sites[i];

		fprintf(f, "site %u %#x %s %s", s->id, s->vaddr, rw_class_name(s->cls),
			rw_disp_name(s->disp));
		if (s->region != ULVM_ST_NO_REGION)
			fprintf(f, " region %u", s->region);
		if (s->call_ret)
			fprintf(f, " call-ret %#x", s->call_ret);
		if (s->flags)
			fprintf(f, " flags%s%s%s%s%s", s->flags & ULVM_SITE_F_PHYS ? " phys" : "",
				s->flags & ULVM_SITE_F_NORETURN ? " noreturn" : "",
				s->flags & ULVM_SITE_F_ALTREPL ? " altrepl" : "",
				s->flags & ULVM_SITE_F_ALTORIG ? " altorig" : "",
				s->flags & ULVM_SITE_F_EXTABLE ? " extable" : "");
		fprintf(f, " insn");
		for (j = 0; j < s->len && j < 15; j++)
			fprintf(f, " %02x", s->insn[j]);
		fputc('\n', f);
	}
	for (i = 0; i < t->h.ntabpatches; i++)
		fprintf(f, "tabpatch %#x+%u kind %u\n", t->tabpatches[i].vaddr, t->tabpatches[i].len,
			t->tabpatches[i].kind);
}
