// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* check.c - verifying a rewritten image: regions, stubs, accounting, and bytes against the original. */

/*
 * Theory of operation
 *
 * rw_check() trusts nothing of the rewritten image: it parses the site
 * table out of its ULVM_PT_SITES header and then, for every region,
 * checks the bytes in place (jmp rel32 to the stub and int3 filler, or
 * int3s), splits the recorded original bytes into instructions again with
 * capstone, regenerates the stub from them and compares it byte for byte
 * with the patch area, and disassembles the stub in the image to its
 * exact length.  It then reruns the whole analysis on the rewritten image:
 * every sensitive instruction still found must have a site record whose
 * disposition leaves it in place (native, inert alternative, data).
 * Given the original ELF too, every byte of the ELF part that differs
 * must lie in a region, a table patch or the ELF/program headers, and
 * the recorded original bytes must be the original's.
 */

#include <capstone/capstone.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/ctx.h"
#include "rewriter/image.h"
#include "rewriter/rw_internal.h"
#include "rewriter/sitetab.h"
#include "rewriter/stub.h"

/**
 * struct rw_check - state of one check
 * @elf:	the rewritten image, parsed
 * @t:		its site table
 * @cs:		capstone handle
 * @ci:		capstone scratch
 * @st:		counters
 * @err:	error report (first problem)
 * @vias:	the short regions (@nvias), whose slots changed bytes elsewhere
 */
struct rw_check {
	struct rw_elf elf;
	struct rw_sitetab t;
	csh cs;
	cs_insn *ci;
	struct rw_stats *st;
	struct rw_err *err;
	const struct ulvm_st_region **vias;
	size_t nvias;
};

static void rw_check_fail(struct rw_check *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Count a problem; keep the first one's description. */
static void rw_check_fail(struct rw_check *k, const char *fmt, ...)
{
	va_list ap;

	if (!k->st->check_errors++ && k->err) {
		k->err->code = -EBADMSG;
		va_start(ap, fmt);
		vsnprintf(k->err->msg, sizeof(k->err->msg), fmt, ap);
		va_end(ap);
	}
}

/**
 * rw_check_region() - check one region and regenerate its stub
 * @k:		check state
 * @ri:		region index
 */
static void rw_check_region(struct rw_check *k, uint32_t ri)
{
	const struct ulvm_st_region *r = &k->t.regions[ri];
	const uint8_t *here = rw_elf_va_ptr(&k->elf, r->vaddr, r->len);
	struct rw_stub_insn si[ULVM_REGION_MAX];
	uint8_t stub[RW_STUB_MAX];
	size_t n = 0, off = 0, s;
	uint32_t i;
	int len;

	if (!here) {
		rw_check_fail(k, "region %u at %#x is not in the image", ri, r->vaddr);
		return;
	}
	/* Split the original bytes into instructions. */
	while (off < r->len && n < ULVM_REGION_MAX) {
		const uint8_t *code = r->orig + off;
		size_t avail = r->len - off;
		uint64_t addr = r->vaddr + off;

		if (!cs_disasm_iter(k->cs, &code, &avail, &addr, k->ci))
			break;
		memset(&si[n], 0, sizeof(si[n]));
		si[n].b = r->orig + off;
		si[n].len = (uint8_t)k->ci->size;
		si[n].va = r->vaddr + (uint32_t)off;
		off += k->ci->size;
		n++;
	}
	if (off != r->len || n != r->ninsns) {
		rw_check_fail(k, "region %u at %#x: original bytes are not %u whole instructions", ri,
			      r->vaddr, r->ninsns);
		return;
	}
	/* Attach the sites. */
	for (s = r->first_site; s < (size_t)r->first_site + r->nsites; s++) {
		const struct ulvm_st_site *st = &k->t.sites[s];
		size_t j;

		for (j = 0; j < n && si[j].va != st->vaddr; j++)
			;
		if (j == n || st->region != ri || memcmp(st->insn, si[j].b, st->len) ||
		    st->len != si[j].len) {
			rw_check_fail(k, "site %u at %#x does not match region %u", st->id,
				      st->vaddr, ri);
			return;
		}
		si[j].site = st->disp == ULVM_SD_STUB_EMUL || st->disp == ULVM_SD_STUB_CALL;
		si[j].id = st->id;
	}
	if (r->kind == ULVM_RK_TRAP_INT3) {
		for (i = 0; i < r->len; i++)
			if (here[i] != 0xcc)
				break;
		if (i != r->len || n != 1 || r->nsites != 1 ||
		    k->t.sites[r->first_site].disp != ULVM_SD_TRAP)
			rw_check_fail(k, "trap region %u at %#x is not int3 over one site", ri,
				      r->vaddr);
		return;
	}
	if (r->kind == ULVM_RK_STUB_SHORT) {
		const uint8_t *via = rw_elf_va_ptr(&k->elf, r->via, r->via_len);

		if (r->len < 2 || r->len >= 5 || here[0] != 0xeb ||
		    r->vaddr + 2 + (uint32_t)(int32_t)(int8_t)here[1] != r->via || !via ||
		    r->via_len < 5 || r->via_len > 15 || via[0] != 0xe9 ||
		    rw_le32(via + 1) != r->stub - (r->via + 5)) {
			rw_check_fail(k, "short region %u at %#x does not reach its stub through %#x",
				      ri, r->vaddr, r->via);
			return;
		}
		for (i = 5; i < r->via_len; i++)
			if (via[i] != 0xcc)
				rw_check_fail(k, "slot at %#x: filler byte %u is not int3", r->via, i);
	} else if (r->kind != ULVM_RK_STUB || r->len < 5) {
		rw_check_fail(k, "region %u at %#x has kind %u", ri, r->vaddr, r->kind);
		return;
	} else if (here[0] != 0xe9 || rw_le32(here + 1) != r->stub - (r->vaddr + 5)) {
		rw_check_fail(k, "region %u at %#x does not jump to its stub %#x", ri, r->vaddr,
			      r->stub);
		return;
	}
	for (i = r->kind == ULVM_RK_STUB_SHORT ? 2 : 5; i < r->len; i++)
		if (here[i] != 0xcc)
			rw_check_fail(k, "region %u at %#x: filler byte %u is not int3", ri, r->vaddr, i);
	len = rw_stub_emit(si, n, r->vaddr + r->len, r->stub, k->t.h.vcpu_vaddr, stub, sizeof(stub));
	if (len < 0 || (uint32_t)len != r->stub_len) {
		rw_check_fail(k, "region %u at %#x: stub does not regenerate (%d vs %u bytes)", ri,
			      r->vaddr, len, r->stub_len);
		return;
	}
	for (s = 0; s < n; s++) {
		const struct ulvm_st_site *st;

		if (!si[s].site)
			continue;
		st = &k->t.sites[si[s].id];
		if (st->call_ret != si[s].call_ret ||
		    (st->disp == ULVM_SD_STUB_EMUL) != (si[s].emul != 0))
			rw_check_fail(k, "site %u at %#x: monitor call return %#x, table says %#x",
				      st->id, st->vaddr, si[s].call_ret, st->call_ret);
	}
	here = rw_elf_va_ptr(&k->elf, r->stub, r->stub_len);
	if (!here || memcmp(here, stub, r->stub_len)) {
		rw_check_fail(k, "region %u at %#x: stub at %#x differs from its regeneration", ri,
			      r->vaddr, r->stub);
		return;
	}
	/* The stub in the image disassembles to exactly its length. */
	{
		const uint8_t *code = here;
		size_t avail = r->stub_len;
		uint64_t addr = r->stub;

		while (avail && cs_disasm_iter(k->cs, &code, &avail, &addr, k->ci))
			;
		if (avail)
			rw_check_fail(k, "stub at %#x does not disassemble (%zu bytes left)", r->stub,
				      avail);
	}
}

/**
 * rw_check_resweep() - every sensitive instruction left is accounted for
 * @k:		check state
 * @img:	rewritten image bytes
 * @len:	their number
 *
 * Return: 0 or -errno (analysis failed).
 */
static int rw_check_resweep(struct rw_check *k, const uint8_t *img, size_t len)
{
	struct rw_opts o = { .patch_vaddr = k->t.h.patch_vaddr, .vcpu_vaddr = k->t.h.vcpu_vaddr };
	struct rw_ctx c;
	size_t i;
	int ret;

	ret = rw_ctx_init(&c, img, len, &o, k->err);
	if (!ret)
		ret = rw_ctx_analyse(&c, k->t.h.patch_vaddr);
	if (ret) {
		rw_ctx_free(&c);
		return ret;
	}
	for (i = 0; i < c.ninsns; i++) {
		const struct rw_insn *in = &c.insns[i];
		const struct ulvm_st_site *s;

		if (!(in->flags & RW_IF_SITE))
			continue;
		s = rw_sitetab_find(&k->t, in->va);
		if (s && (s->disp == ULVM_SD_NATIVE || s->disp == ULVM_SD_INERT_ALT ||
			  s->disp == ULVM_SD_DATA) && s->cls == in->cls)
			continue;
		if (!k->st->unaccounted++ && !k->st->check_errors)
			rw_check_fail(k, "sensitive %s at %#x has no site record",
				      rw_class_name(in->cls), in->va);
	}
	rw_ctx_free(&c);
	return 0;
}

/**
 * rw_check_inside() - is a file offset of the ELF part inside a changed range?
 * @k:		check state
 * @orig:	the original ELF, parsed
 * @off:	file offset
 *
 * Return: 1 if the byte may legitimately differ.
 */
static int rw_check_inside(const struct rw_check *k, const struct rw_elf *orig, size_t off)
{
	size_t i, lo, hi;

	if (off < 52 || (off >= orig->phoff && off < orig->phoff + (orig->nsegs + 2) * 32))
		return 1;
	for (i = 0; i < orig->nsegs; i++) {
		const struct rw_elf_seg *s = &orig->segs[i];
		uint32_t va;

		if (s->type != RW_PT_LOAD || off < s->off || off - s->off >= s->filesz)
			continue;
		va = s->vaddr + (uint32_t)(off - s->off);
		lo = 0;
		hi = k->t.h.nregions;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (k->t.regions[mid].vaddr <= va)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && va - k->t.regions[lo - 1].vaddr < k->t.regions[lo - 1].len)
			return 1;
		for (lo = 0; lo < k->nvias; lo++)
			if (va - k->vias[lo]->via < k->vias[lo]->via_len)
				return 1;
		for (lo = 0; lo < k->t.h.ntabpatches; lo++)
			if (va - k->t.tabpatches[lo].vaddr < k->t.tabpatches[lo].len)
				return 1;
	}
	return 0;
}

/**
 * rw_check_bytes() - compare the ELF part with the original
 * @k:		check state
 * @img:	rewritten image
 * @len:	its length
 * @orig:	original ELF
 * @olen:	its length
 */
static void rw_check_bytes(struct rw_check *k, const uint8_t *img, size_t len, const uint8_t *orig,
			   size_t olen)
{
	struct rw_elf oe;
	struct rw_err e2;
	size_t i;

	if (rw_elf_parse(&oe, orig, olen, &e2)) {
		rw_check_fail(k, "original: %s", e2.msg);
		return;
	}
	k->vias = calloc(k->t.h.nregions ? k->t.h.nregions : 1, sizeof(*k->vias));
	if (!k->vias) {
		rw_check_fail(k, "out of memory");
		rw_elf_free(&oe);
		return;
	}
	for (i = 0; i < k->t.h.nregions; i++)
		if (k->t.regions[i].kind == ULVM_RK_STUB_SHORT)
			k->vias[k->nvias++] = &k->t.regions[i];
	if (len < olen) {
		rw_check_fail(k, "rewritten image is shorter than the original");
		rw_elf_free(&oe);
		return;
	}
	for (i = 0; i < olen; i++) {
		if (img[i] == orig[i])
			continue;
		k->st->bytes_changed++;
		if (!rw_check_inside(k, &oe, i))
			rw_check_fail(k, "byte at file offset %#zx changed outside any site", i);
	}
	for (i = 0; i < k->t.h.nregions; i++) {
		const struct ulvm_st_region *r = &k->t.regions[i];
		const uint8_t *o = rw_elf_va_ptr(&oe, r->vaddr, r->len);

		if (!o || memcmp(o, r->orig, r->len))
			rw_check_fail(k, "region %zu at %#x: recorded bytes are not the original's", i,
				      r->vaddr);
		if (r->kind == ULVM_RK_STUB_SHORT &&
		    (!(o = rw_elf_va_ptr(&oe, r->via, r->via_len)) ||
		     memcmp(o, r->via_orig, r->via_len)))
			rw_check_fail(k, "slot at %#x: recorded bytes are not the original's", r->via);
	}
	for (i = 0; i < k->t.h.ntabpatches; i++) {
		const struct ulvm_st_tabpatch *tp = &k->t.tabpatches[i];
		const uint8_t *o = rw_elf_va_ptr(&oe, tp->vaddr, tp->len);

		if (!o || memcmp(o, tp->orig, tp->len))
			rw_check_fail(k, "table patch at %#x: recorded bytes are not the original's",
				      tp->vaddr);
	}
	rw_elf_free(&oe);
}

/**
 * rw_check() - verify a rewritten image
 * @img:	the image written by rw_rewrite()
 * @len:	its length
 * @orig:	the original kernel (ELF or bzImage), or NULL
 * @orig_len:	its length
 * @st:		counters (sites from the table, check_errors, unaccounted, bytes_changed)
 * @err:	the first problem found
 *
 * Return: 0 when the image is consistent, -EBADMSG when a check failed,
 * other -errno when the image could not be read.
 */
int rw_check(const uint8_t *img, size_t len, const uint8_t *orig, size_t orig_len,
	     struct rw_stats *st, struct rw_err *err)
{
	struct rw_check k;
	struct rw_image oi;
	const struct rw_elf_seg *sp, *pa = NULL;
	uint32_t i;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(st, 0, sizeof(*st));
	k.st = st;
	k.err = err;
	ret = rw_elf_parse(&k.elf, img, len, err);
	if (ret)
		return ret;
	sp = rw_elf_segment_type(&k.elf, ULVM_PT_SITES);
	if (!sp) {
		rw_elf_free(&k.elf);
		return rw_err_set(err, -ENOENT, "not a rewritten image: no site table");
	}
	ret = rw_sitetab_parse(&k.t, img + sp->off, sp->filesz, err);
	if (ret) {
		rw_elf_free(&k.elf);
		return ret;
	}
	for (i = 0; i < k.elf.nsegs; i++)
		if (k.elf.segs[i].type == RW_PT_LOAD && k.elf.segs[i].vaddr == k.t.h.patch_vaddr)
			pa = &k.elf.segs[i];
	if (!pa || pa->filesz != k.t.h.patch_size) {
		ret = rw_err_set(err, -EBADMSG, "patch area segment missing or of the wrong size");
		goto out;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_32, &k.cs) != CS_ERR_OK) {
		ret = rw_err_set(err, -ENOMEM, "cannot open capstone");
		goto out;
	}
	k.ci = cs_malloc(k.cs);
	if (!k.ci) {
		cs_close(&k.cs);
		ret = rw_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	rw_stats_from_sites(st, k.t.sites, k.t.h.nsites);
	st->patch_size = k.t.h.patch_size;
	for (i = 0; i < k.t.h.nregions; i++) {
		rw_check_region(&k, i);
		if (k.t.regions[i].kind == ULVM_RK_STUB_SHORT)
			st->nregions_short++;
		if (k.t.regions[i].kind != ULVM_RK_TRAP_INT3)
			st->nregions_stub++;
		else
			st->nregions_trap++;
	}
	for (i = 0; i < k.t.h.nsites; i++) {
		const struct ulvm_st_site *s = &k.t.sites[i];
		int placed = s->disp == ULVM_SD_STUB_EMUL || s->disp == ULVM_SD_STUB_CALL ||
			     s->disp == ULVM_SD_TRAP;

		if (placed != (s->region != ULVM_ST_NO_REGION) && s->disp != ULVM_SD_NATIVE)
			rw_check_fail(&k, "site %u at %#x: disposition %s but region %u",
				      i, s->vaddr, rw_disp_name(s->disp), s->region);
		if (i && k.t.sites[i - 1].vaddr >= s->vaddr)
			rw_check_fail(&k, "site %u at %#x: sites not sorted", i, s->vaddr);
	}
	cs_free(k.ci, 1);
	cs_close(&k.cs);
	ret = rw_check_resweep(&k, img, len);
	if (ret)
		goto out;
	if (orig) {
		ret = rw_image_load(&oi, orig, orig_len, err);
		if (ret)
			goto out;
		rw_check_bytes(&k, img, len, oi.elf, oi.len);
		rw_image_free(&oi);
	}
	ret = st->check_errors ? -EBADMSG : 0;
out:
	free(k.vias);
	rw_sitetab_free(&k.t);
	rw_elf_free(&k.elf);
	return ret;
}
