// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* tb.c - test images for the rewriter's unit tests: build, rewrite, look inside. */

/*
 * tb_build() lays out an ELF32 EXEC image: the ELF header, one PT_LOAD
 * at TB_VA covering .text and any extra sections (file offset 0x1000 +
 * address - TB_VA), a symbol table with one STT_FUNC per function start,
 * and the section headers at the end.  tb_rewrite() runs rw_rewrite(),
 * parses the site table and runs rw_check() against the original, so
 * every test also checks the image it produced.
 */

#include <check.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>

#include "rewriter/elf32.h"
#include "tests/unit/rewriter/tb.h"

void tb_put32(uint8_t *p, uint32_t v)
{
	rw_put_le32(p, v);
}

void tb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/**
 * tb_build() - build an ELF32 EXEC image
 * @b:		output
 * @text:	bytes of .text (at TB_VA)
 * @tlen:	their number
 * @funcs:	function-start offsets into .text
 * @nfuncs:	their number
 * @extra:	extra sections (may be NULL)
 * @nextra:	their number
 */
void tb_build(struct tb *b, const uint8_t *text, uint32_t tlen, const uint32_t *funcs,
		     size_t nfuncs, const struct tb_sec *extra, size_t nextra)
{
	uint8_t *e = b->elf;
	uint32_t end = TB_VA + tlen, off, symoff, stroff, shstroff, shoff, strl = 1, shl = 1;
	char shstr[512], str[256];
	size_t i, nsh = 5 + nextra;
	uint32_t names[16];

	memset(b, 0, sizeof(*b));
	memcpy(e + 0x1000, text, tlen);
	for (i = 0; i < nextra; i++) {
		memcpy(e + 0x1000 + (extra[i].addr - TB_VA), extra[i].data, extra[i].size);
		if (extra[i].addr + extra[i].size > end)
			end = extra[i].addr + extra[i].size;
	}
	off = 0x1000 + (end - TB_VA);
	memcpy(e, "\177ELF\1\1\1", 7);
	tb_put16(e + 16, 2);  /* ET_EXEC */
	tb_put16(e + 18, 3);  /* EM_386 */
	tb_put32(e + 20, 1);
	tb_put32(e + 24, TB_VA);
	tb_put32(e + 28, 52);
	tb_put16(e + 40, 52);
	tb_put16(e + 42, 32);
	tb_put16(e + 44, 1);
	tb_put16(e + 46, 40);
	tb_put16(e + 48, (uint16_t)nsh);
	tb_put16(e + 50, (uint16_t)(nsh - 1));
	/* PT_LOAD over everything */
	tb_put32(e + 52, 1);
	tb_put32(e + 56, 0x1000);
	tb_put32(e + 60, TB_VA);
	tb_put32(e + 64, TB_VA);
	tb_put32(e + 68, end - TB_VA);
	tb_put32(e + 72, end - TB_VA);
	tb_put32(e + 76, 7);
	tb_put32(e + 80, 0x1000);
	/* symbols */
	symoff = (off + 3) & ~3u;
	str[0] = 0;
	for (i = 0; i < nfuncs; i++) {
		uint8_t *s = e + symoff + 16 * (i + 1);
		int n = snprintf(str + strl, sizeof(str) - strl, "f%zu", i);

		tb_put32(s, strl);
		tb_put32(s + 4, TB_VA + funcs[i]);
		s[12] = 0x12; /* GLOBAL FUNC */
		tb_put16(s + 14, 1);
		strl += (uint32_t)n + 1;
	}
	stroff = symoff + 16 * (uint32_t)(nfuncs + 1);
	memcpy(e + stroff, str, strl);
	shstroff = stroff + strl;
	shstr[0] = 0;
	{
		const char *nm[16] = { "", ".text", ".symtab", ".strtab" };

		for (i = 0; i < nextra; i++)
			nm[4 + i] = extra[i].name;
		nm[4 + nextra] = ".shstrtab";
		for (i = 1; i < nsh; i++) {
			names[i] = shl;
			strcpy(shstr + shl, nm[i]);
			shl += (uint32_t)strlen(nm[i]) + 1;
		}
	}
	memcpy(e + shstroff, shstr, shl);
	shoff = (shstroff + shl + 3) & ~3u;
	tb_put32(e + 32, shoff);
	for (i = 1; i < nsh; i++) {
		uint8_t *h = e + shoff + 40 * i;

		tb_put32(h, names[i]);
		if (i == 1) {
			tb_put32(h + 4, 1);
			tb_put32(h + 8, 6); /* AX */
			tb_put32(h + 12, TB_VA);
			tb_put32(h + 16, 0x1000);
			tb_put32(h + 20, tlen);
		} else if (i == 2) {
			tb_put32(h + 4, 2);
			tb_put32(h + 16, symoff);
			tb_put32(h + 20, 16 * (uint32_t)(nfuncs + 1));
			tb_put32(h + 24, 3);
			tb_put32(h + 36, 16);
		} else if (i == 3) {
			tb_put32(h + 4, 3);
			tb_put32(h + 16, stroff);
			tb_put32(h + 20, strl);
		} else if (i < 4 + nextra) {
			const struct tb_sec *x = &extra[i - 4];

			tb_put32(h + 4, 1);
			tb_put32(h + 8, x->flags);
			tb_put32(h + 12, x->addr);
			tb_put32(h + 16, 0x1000 + (x->addr - TB_VA));
			tb_put32(h + 20, x->size);
		} else {
			tb_put32(h + 4, 3);
			tb_put32(h + 16, shstroff);
			tb_put32(h + 20, shl);
		}
	}
	b->len = shoff + 40 * nsh;
	ck_assert_uint_le(b->len, TB_MAX);
}

/**
 * tb_rewrite() - rewrite a built image, parse its table, check it
 * @b:		the image
 * @opts:	options (NULL for defaults)
 */
void tb_rewrite(struct tb *b, const struct rw_opts *opts)
{
	struct rw_stats st;
	struct rw_err err = { 0, "" };
	int ret;

	ret = rw_rewrite(b->elf, b->len, opts, &b->out, &err);
	ck_assert_msg(ret == 0, "rewrite failed: %s", err.msg);
	ret = rw_sitetab_parse(&b->t, b->out.sitetab, b->out.sitetab_len, &err);
	ck_assert_msg(ret == 0, "site table: %s", err.msg);
	ret = rw_check(b->out.image, b->out.image_len, b->elf, b->len, &st, &err);
	ck_assert_msg(ret == 0, "check failed: %s", err.msg);
	ck_assert_uint_eq(st.unaccounted, 0);
	ck_assert_uint_eq(st.found, b->t.h.nsites);
}

void tb_free(struct tb *b)
{
	rw_sitetab_free(&b->t);
	rw_out_free(&b->out);
}

/* The rewritten bytes at a text offset. */
const uint8_t *tb_at(const struct tb *b, uint32_t va)
{
	return b->out.image + 0x1000 + (va - TB_VA);
}

/* The patch-area bytes of a stub. */
const uint8_t *tb_stub(const struct tb *b, uint32_t stub_va)
{
	size_t poff = (b->len + 4095) & ~(size_t)4095;

	return b->out.image + poff + (stub_va - b->t.h.patch_vaddr);
}

const struct ulvm_st_site *tb_site(const struct tb *b, uint32_t off)
{
	const struct ulvm_st_site *s = rw_sitetab_find(&b->t, TB_VA + off);

	ck_assert_msg(s != NULL, "no site at +%#x", off);
	return s;
}

/* Find a byte sequence in a buffer. */
int tb_has(const uint8_t *p, size_t len, const void *needle, size_t nlen)
{
	size_t i;

	for (i = 0; i + nlen <= len; i++)
		if (!memcmp(p + i, needle, nlen))
			return 1;
	return 0;
}

/**
 * tb_bzimage() - wrap an ELF into a minimal bzImage with an XZ payload
 * @elf:	ELF bytes
 * @len:	their number
 * @out:	output buffer
 * @cap:	its size
 *
 * Return: the bzImage length.
 */
size_t tb_bzimage(const uint8_t *elf, size_t len, uint8_t *out, size_t cap)
{
	size_t pos = 0;

	memset(out, 0, 2048);
	out[0x1f1] = 1; /* setup_sects: protected-mode code at 1024 */
	memcpy(out + 0x202, "HdrS", 4);
	tb_put16(out + 0x206, 0x020f);
	tb_put32(out + 0x248, 0x100);
	ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf, len,
						 out + 1024 + 0x100, &pos, cap - 1024 - 0x100),
			 LZMA_OK);
	tb_put32(out + 0x24c, (uint32_t)pos);
	return 1024 + 0x100 + pos;
}

