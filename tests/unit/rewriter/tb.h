/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* tb.h - test images for the rewriter's unit tests: a tiny ELF32 "kernel" built in memory. */
#ifndef ULVM_TESTS_UNIT_REWRITER_TB_H
#define ULVM_TESTS_UNIT_REWRITER_TB_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/rewrite.h"
#include "rewriter/sitetab.h"

#define TB_VA 0x10000000u
#define TB_MAX (1u << 16)

/**
 * struct tb_sec - an extra section of a test image
 * @name:	section name
 * @addr:	its address (above the text)
 * @data:	its bytes
 * @size:	their number
 * @flags:	sh_flags
 */
struct tb_sec {
	const char *name;
	uint32_t addr;
	const uint8_t *data;
	uint32_t size;
	uint32_t flags;
};

/**
 * struct tb - a test image and what became of it
 * @elf:	the ELF
 * @len:	its length
 * @out:	rewrite result
 * @t:		its parsed site table
 */
struct tb {
	uint8_t elf[TB_MAX];
	size_t len;
	struct rw_out out;
	struct rw_sitetab t;
};

void tb_put32(uint8_t *p, uint32_t v);
void tb_put16(uint8_t *p, uint16_t v);
void tb_build(struct tb *b, const uint8_t *text, uint32_t tlen, const uint32_t *funcs,
	      size_t nfuncs, const struct tb_sec *extra, size_t nextra);
void tb_rewrite(struct tb *b, const struct rw_opts *opts);
void tb_free(struct tb *b);
const uint8_t *tb_at(const struct tb *b, uint32_t va);
const uint8_t *tb_stub(const struct tb *b, uint32_t stub_va);
const struct ulvm_st_site *tb_site(const struct tb *b, uint32_t off);
int tb_has(const uint8_t *p, size_t len, const void *needle, size_t nlen);
size_t tb_bzimage(const uint8_t *elf, size_t len, uint8_t *out, size_t cap);

#endif /* ULVM_TESTS_UNIT_REWRITER_TB_H */
