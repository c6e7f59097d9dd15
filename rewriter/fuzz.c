// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* fuzz.c - the fuzz target: image reader, ELF parser, decoder, rewriter, site-table parser, checker. */

/*
 * rw_fuzz_one() must never crash, leak or read out of bounds, whatever
 * the bytes.  It is called by the libFuzzer wrapper (rewriter/fuzz_main.c,
 * built with "make fuzz-rewriter CC=clang") and by a deterministic
 * mutation loop in the unit tests, so every build exercises it.
 */

#include <stdlib.h>

#include "rewriter/classify.h"
#include "rewriter/fuzz.h"
#include "rewriter/image.h"
#include "rewriter/rewrite.h"
#include "rewriter/sitetab.h"

/**
 * rw_fuzz_one() - feed one input to every reader
 * @data:	the bytes
 * @len:	their number
 *
 * Return: 0 when the input was accepted as a kernel and rewritten, 1 when
 * it was refused (both are fine; only crashes are bugs).
 */
int rw_fuzz_one(const uint8_t *data, size_t len)
{
	struct rw_err err = { 0, "" };
	struct rw_sitetab t;
	struct rw_image img;
	struct rw_stats st;
	struct rw_out out;
	struct rw_iclass ic;
	size_t i;
	int ret;

	/* The classifier on every window of up to 15 bytes. */
	for (i = 0; i < len && i < 4096; i++)
		rw_classify(data + i, len - i < 15 ? len - i : 15, (uint32_t)i, &ic);
	/* The site-table parser on the raw bytes. */
	if (!rw_sitetab_parse(&t, data, len, &err))
		rw_sitetab_free(&t);
	/* The checker on the raw bytes (as a supposedly rewritten image). */
	ret = rw_check(data, len, NULL, 0, &st, &err);
	/* The whole pipeline. */
	if (rw_image_load(&img, data, len, &err))
		return 1;
	ret = rw_rewrite(img.elf, img.len, NULL, &out, &err);
	if (!ret) {
		/* What we wrote must check. */
		if (rw_check(out.image, out.image_len, data, len, &st, &err))
			abort();
		rw_out_free(&out);
	}
	rw_image_free(&img);
	return ret ? 1 : 0;
}
