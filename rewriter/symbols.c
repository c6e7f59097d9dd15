// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* symbols.c - function boundaries: ELF symbols, System.map, and the OS module's heuristics. */

/*
 * Theory of operation
 *
 * The rewriter needs function starts for two things: resynchronising the
 * decoder and never moving bytes across a boundary.  They come, in order
 * of trust, from the ELF's STT_FUNC symbols, from a System.map (T/t
 * lines), and from the OS module (for Linux: __ksymtab and padding).
 * All go into one array, sorted and deduplicated by rw_sym_sort(); only
 * addresses inside a text range are kept.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/ctx.h"

/**
 * rw_sym_is_code() - is an address inside a text range (not replacement code)?
 * @c:		context
 * @va:		address
 *
 * Return: 1 or 0.
 */
int rw_sym_is_code(const struct rw_ctx *c, uint32_t va)
{
	size_t i;

	for (i = 0; i < c->nranges; i++)
		if (c->ranges[i].kind == RW_RANGE_TEXT && va >= c->ranges[i].va &&
		    va - c->ranges[i].va < c->ranges[i].size)
			return 1;
	return 0;
}

/**
 * rw_sym_add() - record a function start (ignored outside text)
 * @c:		context
 * @va:		address
 *
 * Return: 0 or -ENOMEM.
 */
int rw_sym_add(struct rw_ctx *c, uint32_t va)
{
	if (!rw_sym_is_code(c, va))
		return 0;
	if (c->nfuncs == c->capfuncs) {
		size_t ncap = c->capfuncs ? c->capfuncs * 2 : 16384;
		uint32_t *n = realloc(c->funcs, ncap * sizeof(*n));

		if (!n)
			return rw_err_set(c->err, -ENOMEM, "out of memory for function starts");
		c->funcs = n;
		c->capfuncs = ncap;
	}
	c->funcs[c->nfuncs++] = va;
	return 0;
}

static int rw_sym_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/**
 * rw_sym_sort() - sort and deduplicate the function starts
 * @c:		context
 */
void rw_sym_sort(struct rw_ctx *c)
{
	size_t i, o = 0;

	if (!c->nfuncs)
		return;
	qsort(c->funcs, c->nfuncs, sizeof(*c->funcs), rw_sym_cmp);
	for (i = 0; i < c->nfuncs; i++)
		if (!o || c->funcs[o - 1] != c->funcs[i])
			c->funcs[o++] = c->funcs[i];
	c->nfuncs = o;
}

/**
 * rw_sym_next() - the first function start after an address
 * @c:		context (function starts sorted)
 * @va:		address
 *
 * Return: the start, or 0xffffffff if none.
 */
uint32_t rw_sym_next(const struct rw_ctx *c, uint32_t va)
{
	size_t lo = 0, hi = c->nfuncs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->funcs[mid] <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nfuncs ? c->funcs[lo] : 0xffffffffu;
}

/**
 * rw_sym_from_elf() - function starts from the ELF's symbol tables
 * @c:		context
 *
 * Return: 0 or -errno.
 */
int rw_sym_from_elf(struct rw_ctx *c)
{
	size_t i;
	int ret;

	for (i = 0; i < c->elf.nsyms; i++) {
		ret = rw_sym_add(c, c->elf.syms[i].value);
		if (ret)
			return ret;
		c->tab.nfuncs_sym++;
	}
	return 0;
}

/**
 * rw_sym_from_map() - function starts from System.map text
 * @c:		context
 * @text:	the file's bytes (not NUL-terminated)
 * @len:	their number
 *
 * Lines are "ADDRESS TYPE NAME"; types T and t are code.  Malformed lines
 * are skipped; the Debian stub ("ffffffffffffffff B The real...") yields
 * nothing.
 *
 * Return: 0 or -errno.
 */
int rw_sym_from_map(struct rw_ctx *c, const char *text, size_t len)
{
	size_t i = 0;
	int ret;

	while (i < len) {
		size_t ls = i, le;
		uint64_t v = 0;
		int digits = 0;

		while (i < len && text[i] != '\n')
			i++;
		le = i++;
		while (ls < le && digits < 17) {
			char ch = text[ls];
			int d;

			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				d = ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				d = ch - 'A' + 10;
			else
				break;
			v = v * 16 + (uint64_t)d;
			digits++;
			ls++;
		}
		if (!digits || digits > 16 || ls + 2 >= le || text[ls] != ' ' || v > 0xffffffffu)
			continue;
		if (text[ls + 1] != 'T' && text[ls + 1] != 't')
			continue;
		ret = rw_sym_add(c, (uint32_t)v);
		if (ret)
			return ret;
		c->tab.nfuncs_map++;
	}
	return 0;
}
