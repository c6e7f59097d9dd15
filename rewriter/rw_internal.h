/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* rw_internal.h - private: context life cycle shared by rewrite.c and check.c. */
#ifndef ULVM_REWRITER_RW_INTERNAL_H
#define ULVM_REWRITER_RW_INTERNAL_H

#include "rewriter/ctx.h"

int rw_ctx_init(struct rw_ctx *c, const uint8_t *elf, size_t len, const struct rw_opts *opts,
		struct rw_err *err) __attribute__((warn_unused_result));
int rw_ctx_analyse(struct rw_ctx *c, uint32_t skip_va) __attribute__((warn_unused_result));
void rw_ctx_free(struct rw_ctx *c);
void rw_ctx_fill_stats(const struct rw_ctx *c, struct rw_stats *st);
void rw_stats_from_sites(struct rw_stats *st, const struct ulvm_st_site *sites, size_t n);

#endif /* ULVM_REWRITER_RW_INTERNAL_H */
