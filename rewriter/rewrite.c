// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* rewrite.c - the rewriter's pipeline: analyse, plan, patch, and write image and site table. */

/*
 * Theory of operation
 *
 * rw_rewrite() works on a private copy of the ELF: it collects the code
 * ranges (executable sections, or executable PT_LOADs without section
 * headers), the function starts, decodes, lets the OS module flag the
 * instructions its tables reference, plans a disposition for every site
 * (patch.c) and lets the OS module neutralise its run-time patching.
 * The output image is the patched copy with, appended at a page boundary,
 * the patch area (a new PT_LOAD at the patch VA) and the site table (a
 * ULVM_PT_SITES program header); the program-header table grows in place
 * when the gap after it is free, else moves to the end of the file.
 * rw_check() (check.c) reruns the same analysis over the result.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/ctx.h"
#include "rewriter/rw_internal.h"
#include "rewriter/sitetab.h"
#include "rewriter/vcpu_abi.h"

static int rw_range_cmp(const void *a, const void *b)
{
	const struct rw_range *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

/**
 * rw_ctx_ranges() - collect the code ranges
 * @c:		context with a parsed ELF
 * @skip_va:	a PT_LOAD at this address is not code to analyse (0: none)
 *
 * Return: 0 or -errno.
 */
static int rw_ctx_ranges(struct rw_ctx *c, uint32_t skip_va)
{
	size_t i, off;

	for (i = 0; i < c->elf.nsecs; i++) {
		const struct rw_elf_sec *s = &c->elf.secs[i];
		struct rw_range *r;

		if (s->type != RW_SHT_PROGBITS || !(s->flags & RW_SHF_EXECINSTR) || !s->size)
			continue;
		/* The bytes must be the ones a loader puts at its address. */
		if (rw_elf_va_off(&c->elf, s->addr, s->size, &off) || off != s->off ||
		    rw_elf_hits_headers(&c->elf, off, s->size))
			continue;
		if (c->nranges == RW_MAX_RANGES)
			return rw_err_set(c->err, -E2BIG, "more than %d executable sections",
					  RW_MAX_RANGES);
		r = &c->ranges[c->nranges++];
		r->name = s->name;
		r->va = s->addr;
		r->size = s->size;
		r->bytes = c->buf + s->off;
		r->kind = !strcmp(s->name, ".altinstr_replacement") ? RW_RANGE_ALTREPL
								     : RW_RANGE_TEXT;
	}
	if (!c->nranges) {
		for (i = 0; i < c->elf.nsegs; i++) {
			const struct rw_elf_seg *s = &c->elf.segs[i];
			struct rw_range *r;

			if (s->type != RW_PT_LOAD || !(s->flags & RW_PF_X) || !s->filesz ||
			    (skip_va && s->vaddr == skip_va) ||
			    rw_elf_hits_headers(&c->elf, s->off, s->filesz))
				continue;
			if (c->nranges == RW_MAX_RANGES)
				break;
			r = &c->ranges[c->nranges++];
			r->name = "PT_LOAD";
			r->va = s->vaddr;
			r->size = s->filesz;
			r->bytes = c->buf + s->off;
			r->kind = RW_RANGE_TEXT;
		}
	}
	if (!c->nranges)
		return rw_err_set(c->err, -ENOEXEC, "no executable code in the image");
	qsort(c->ranges, c->nranges, sizeof(c->ranges[0]), rw_range_cmp);
	for (i = 1; i < c->nranges; i++)
		if ((uint64_t)c->ranges[i - 1].va + c->ranges[i - 1].size > c->ranges[i].va)
			return rw_err_set(c->err, -EBADMSG, "executable sections %s and %s overlap",
					  c->ranges[i - 1].name, c->ranges[i].name);
	return 0;
}

/**
 * rw_ctx_init() - set up a context over a private copy of an ELF
 * @c:		the context
 * @elf:	ELF bytes
 * @len:	their number
 * @opts:	options (NULL for defaults)
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
int rw_ctx_init(struct rw_ctx *c, const uint8_t *elf, size_t len, const struct rw_opts *opts,
		struct rw_err *err)
{
	const struct rw_elf_seg *text = NULL;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	c->err = err;
	if (opts)
		c->opts = *opts;
	if (!c->opts.patch_vaddr)
		c->opts.patch_vaddr = ULVM_PATCH_VADDR_DEFAULT;
	if (!c->opts.vcpu_vaddr)
		c->opts.vcpu_vaddr = ULVM_VCPU_VADDR_DEFAULT;
	if ((c->opts.patch_vaddr | c->opts.vcpu_vaddr) & 0xfff)
		return rw_err_set(err, -EINVAL, "patch and vCPU addresses must be page-aligned");
	c->os = &rw_os_linux;
	c->buf = malloc(len ? len : 1);
	if (!c->buf)
		return rw_err_set(err, -ENOMEM, "out of memory");
	memcpy(c->buf, elf, len);
	c->len = len;
	ret = rw_elf_parse(&c->elf, c->buf, len, err);
	if (ret)
		return ret;
	if (c->elf.type != 2 /* ET_EXEC */)
		return rw_err_set(err, -ENOEXEC, "ELF is not an executable (e_type %u): not a kernel",
				  c->elf.type);
	for (i = 0; i < c->elf.nsegs; i++)
		if (c->elf.segs[i].type == RW_PT_LOAD && (c->elf.segs[i].flags & RW_PF_X) &&
		    c->elf.segs[i].vaddr != c->opts.patch_vaddr) {
			text = &c->elf.segs[i];
			break;
		}
	if (!text)
		return rw_err_set(err, -ENOEXEC, "ELF has no executable segment");
	c->page_offset = text->vaddr - text->paddr;
	return 0;
}

/**
 * rw_ctx_analyse() - decode and flag everything (no patching)
 * @c:		initialised context
 * @skip_va:	PT_LOAD address not to analyse (the patch area), 0 for none
 *
 * Return: 0 or -errno.
 */
int rw_ctx_analyse(struct rw_ctx *c, uint32_t skip_va)
{
	int ret;

	ret = rw_ctx_ranges(c, skip_va);
	if (!ret)
		ret = rw_sym_from_elf(c);
	if (!ret && c->opts.sysmap)
		ret = rw_sym_from_map(c, c->opts.sysmap, c->opts.sysmap_len);
	if (!ret)
		ret = c->os->find_funcs(c);
	if (ret)
		return ret;
	rw_sym_sort(c);
	ret = rw_decode_all(c);
	if (ret)
		return ret;
	rw_decode_targets(c);
	rw_decode_address_taken(c);
	return c->os->mark_tables(c);
}

/**
 * rw_ctx_free() - release a context
 * @c:		the context
 */
void rw_ctx_free(struct rw_ctx *c)
{
	rw_elf_free(&c->elf);
	free(c->buf);
	free(c->funcs);
	free(c->insns);
	free(c->tab.alts);
	free(c->sites);
	free(c->regions);
	free(c->tabpatches);
	free(c->patch);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

/**
 * rw_stats_from_sites() - count sites by class and disposition
 * @st:		counters (the site-related ones are overwritten)
 * @sites:	site records
 * @n:		their number
 */
void rw_stats_from_sites(struct rw_stats *st, const struct ulvm_st_site *sites, size_t n)
{
	size_t i;

	memset(st->per_class, 0, sizeof(st->per_class));
	memset(st->by_disp, 0, sizeof(st->by_disp));
	st->found = st->hot_found = st->hot_stub = 0;
	for (i = 0; i < n; i++) {
		const struct ulvm_st_site *s = &sites[i];
		int hot = s->cls == ULVM_SC_CLI || s->cls == ULVM_SC_STI ||
			  s->cls == ULVM_SC_PUSHF || s->cls == ULVM_SC_POPF ||
			  s->cls == ULVM_SC_IRET;

		if (s->cls >= ULVM_SC_COUNT || s->disp >= ULVM_SD_COUNT)
			continue;
		st->per_class[s->cls][s->disp]++;
		st->by_disp[s->disp]++;
		st->found++;
		if (hot && s->disp != ULVM_SD_INERT_ALT && s->disp != ULVM_SD_DATA) {
			st->hot_found++;
			if (s->disp == ULVM_SD_STUB_EMUL || s->disp == ULVM_SD_STUB_CALL)
				st->hot_stub++;
		}
	}
}

/**
 * rw_phdr_room() - can the program-header table grow by @extra entries in place?
 * @c:		context
 * @extra:	entries to add
 *
 * Return: 1 or 0.
 */
static int rw_phdr_room(const struct rw_ctx *c, size_t extra)
{
	uint64_t lo = (uint64_t)c->elf.phoff + c->elf.nsegs * 32, hi = lo + extra * 32;
	size_t i;

	if (hi > c->len)
		return 0;
	for (i = lo; i < hi; i++)
		if (c->buf[i])
			return 0;
	for (i = 0; i < c->elf.nsegs; i++)
		if (c->elf.segs[i].filesz && c->elf.segs[i].off < hi &&
		    c->elf.segs[i].off + (uint64_t)c->elf.segs[i].filesz > lo)
			return 0;
	if (c->elf.nsecs && c->elf.shoff < hi && c->elf.shoff + (uint64_t)c->elf.nsecs * 40 > lo)
		return 0;
	for (i = 0; i < c->elf.nsecs; i++)
		if (c->elf.secs[i].type != RW_SHT_NOBITS && c->elf.secs[i].size &&
		    c->elf.secs[i].off < hi && c->elf.secs[i].off + (uint64_t)c->elf.secs[i].size > lo)
			return 0;
	return 1;
}

static void rw_put_phdr(uint8_t *p, uint32_t type, uint32_t off, uint32_t va, uint32_t sz,
			uint32_t flags, uint32_t align)
{
	rw_put_le32(p, type);
	rw_put_le32(p + 4, off);
	rw_put_le32(p + 8, va);
	rw_put_le32(p + 12, va);
	rw_put_le32(p + 16, sz);
	rw_put_le32(p + 20, sz);
	rw_put_le32(p + 24, flags);
	rw_put_le32(p + 28, align);
}

/**
 * rw_build_image() - the output ELF: patched copy + patch area + site table
 * @c:		context after planning
 * @tab:	serialised site table
 * @tablen:	its length
 * @out:	result
 *
 * Return: 0 or -errno.
 */
static int rw_build_image(struct rw_ctx *c, const uint8_t *tab, size_t tablen, struct rw_out *out)
{
	size_t patch_off = (c->len + 4095) & ~(size_t)4095;
	size_t tab_off = (patch_off + c->patch_len + 7) & ~(size_t)7;
	size_t end = tab_off + tablen, phoff = c->elf.phoff, nph = c->elf.nsegs;
	int inplace = rw_phdr_room(c, 2);
	uint8_t *img;

	if (!inplace) {
		phoff = (end + 3) & ~(size_t)3;
		end = phoff + (nph + 2) * 32;
	}
	if (end > 0xffffffffu)
		return rw_err_set(c->err, -EFBIG, "output image too large");
	img = calloc(1, end);
	if (!img)
		return rw_err_set(c->err, -ENOMEM, "out of memory for the output image");
	memcpy(img, c->buf, c->len);
	if (c->patch_len)
		memcpy(img + patch_off, c->patch, c->patch_len);
	memcpy(img + tab_off, tab, tablen);
	if (!inplace) {
		memcpy(img + phoff, c->buf + c->elf.phoff, nph * 32);
		rw_put_le32(img + 28, (uint32_t)phoff);
	}
	rw_put_phdr(img + phoff + nph * 32, RW_PT_LOAD, (uint32_t)patch_off, c->opts.patch_vaddr,
		    (uint32_t)c->patch_len, RW_PF_R | RW_PF_X, 4096);
	rw_put_phdr(img + phoff + (nph + 1) * 32, ULVM_PT_SITES, (uint32_t)tab_off, 0,
		    (uint32_t)tablen, RW_PF_R, 8);
	img[44] = (uint8_t)(nph + 2);
	img[45] = (uint8_t)((nph + 2) >> 8);
	out->image = img;
	out->image_len = end;
	return 0;
}

/**
 * rw_rewrite() - rewrite a kernel ELF
 * @elf:	the input ELF (use rw_image_load() for a bzImage)
 * @len:	its length
 * @opts:	options (NULL for defaults)
 * @out:	result; free with rw_out_free()
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
int rw_rewrite(const uint8_t *elf, size_t len, const struct rw_opts *opts, struct rw_out *out,
	       struct rw_err *err)
{
	struct rw_sitetab t;
	struct rw_ctx c;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = rw_ctx_init(&c, elf, len, opts, err);
	if (!ret)
		ret = rw_ctx_analyse(&c, 0);
	if (!ret)
		ret = rw_patch_plan(&c);
	if (!ret)
		ret = c.os->neutralise(&c);
	if (ret)
		goto out;
	if ((uint64_t)c.opts.patch_vaddr + c.patch_len > 0x100000000ull ||
	    (c.opts.vcpu_vaddr >= c.opts.patch_vaddr &&
	     c.opts.vcpu_vaddr < c.opts.patch_vaddr + c.patch_len)) {
		ret = rw_err_set(err, -ENOSPC, "patch area (%zu bytes at %#x) overlaps the vCPU page or 4 GiB",
				 c.patch_len, c.opts.patch_vaddr);
		goto out;
	}
	for (i = 0; i < c.elf.nsegs; i++) {
		const struct rw_elf_seg *sg = &c.elf.segs[i];
		uint64_t lo = sg->vaddr, hi = lo + sg->memsz;

		if (sg->type != RW_PT_LOAD || !sg->memsz)
			continue;
		if ((lo < (uint64_t)c.opts.patch_vaddr + c.patch_len + 1 && c.opts.patch_vaddr < hi) ||
		    (lo < (uint64_t)c.opts.vcpu_vaddr + 4096 && c.opts.vcpu_vaddr < hi)) {
			ret = rw_err_set(err, -ENOSPC,
					 "segment at %#x+%#x overlaps the patch area (%#x) or the vCPU page (%#x): choose others with --patch-addr/--vcpu-addr",
					 sg->vaddr, sg->memsz, c.opts.patch_vaddr, c.opts.vcpu_vaddr);
			goto out;
		}
	}
	memset(&t, 0, sizeof(t));
	t.h.nregions = (uint32_t)c.nregions;
	t.h.nsites = (uint32_t)c.nsites;
	t.h.ntabpatches = (uint32_t)c.ntabpatches;
	t.h.patch_vaddr = c.opts.patch_vaddr;
	t.h.patch_size = (uint32_t)c.patch_len;
	t.h.vcpu_vaddr = c.opts.vcpu_vaddr;
	t.h.page_offset = c.page_offset;
	t.h.entry = c.elf.entry;
	t.h.vcpu_abi = ULVM_VCPU_ABI_VERSION;
	t.h.os = c.os->id;
	t.regions = c.regions;
	t.sites = c.sites;
	t.tabpatches = c.tabpatches;
	ret = rw_sitetab_serialize(&t, &out->sitetab, &out->sitetab_len, err);
	if (!ret)
		ret = rw_build_image(&c, out->sitetab, out->sitetab_len, out);
	if (ret)
		goto out;
	rw_ctx_fill_stats(&c, &out->stats);
out:
	if (ret)
		rw_out_free(out);
	rw_ctx_free(&c);
	return ret;
}

/**
 * rw_ctx_fill_stats() - copy a context's counters into a stats struct
 * @c:		context
 * @st:		counters
 */
void rw_ctx_fill_stats(const struct rw_ctx *c, struct rw_stats *st)
{
	size_t i;

	rw_stats_from_sites(st, c->sites, c->nsites);
	st->ninsns = (uint32_t)c->ninsns;
	st->nfuncs = (uint32_t)c->nfuncs;
	st->nregions_stub = c->stats.nregions_stub;
	st->nregions_trap = c->stats.nregions_trap;
	st->nregions_short = c->stats.nregions_short;
	st->ndesync = (uint32_t)c->ndesync;
	st->ninvalid = (uint32_t)c->ninvalid;
	st->nmidtarget = (uint32_t)c->nmidtarget;
	st->naddrtaken = (uint32_t)c->naddrtaken;
	st->nextra = (uint32_t)c->nextra;
	st->nalts = (uint32_t)c->tab.nalts;
	st->nalts_inert = 0;
	for (i = 0; i < c->tab.nalts; i++)
		st->nalts_inert += c->tab.alts[i].inert;
	st->npara = (uint32_t)c->tab.npara;
	st->nex = (uint32_t)c->tab.nex;
	st->nlocks = (uint32_t)c->tab.nlocks;
	st->nbugs = (uint32_t)c->tab.nbugs;
	st->njump = (uint32_t)c->tab.njump;
	st->nfuncs_sym = (uint32_t)c->tab.nfuncs_sym;
	st->nfuncs_map = (uint32_t)c->tab.nfuncs_map;
	st->nfuncs_ksym = (uint32_t)c->tab.nfuncs_ksym;
	st->nfuncs_pad = (uint32_t)c->tab.nfuncs_pad;
	st->nfuncs_fentry = (uint32_t)c->tab.nfuncs_fentry;
	st->patch_size = (uint32_t)c->patch_len;
	st->fentry = c->tab.fentry;
	st->nfentry_calls = 0;
	for (i = 0; i < c->ninsns; i++)
		if (c->tab.fentry && c->insns[i].target == c->tab.fentry)
			st->nfentry_calls++;
}

/**
 * rw_out_free() - release a result
 * @out:	the result
 */
void rw_out_free(struct rw_out *out)
{
	free(out->image);
	free(out->sitetab);
	out->image = out->sitetab = NULL;
	out->image_len = out->sitetab_len = 0;
}
