/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* sitetab.h - writing and reading the site table (format: sitetab_abi.h). */
#ifndef ULVM_REWRITER_SITETAB_H
#define ULVM_REWRITER_SITETAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rewriter/err.h"
#include "rewriter/sitetab_abi.h"

/**
 * struct rw_sitetab - a site table in host memory
 * @h:		header
 * @regions:	@h.nregions records (malloc'ed)
 * @sites:	@h.nsites records (malloc'ed)
 * @tabpatches:	@h.ntabpatches records (malloc'ed)
 */
struct rw_sitetab {
	struct ulvm_st_header h;
	struct ulvm_st_region *regions;
	struct ulvm_st_site *sites;
	struct ulvm_st_tabpatch *tabpatches;
};

int rw_sitetab_serialize(const struct rw_sitetab *t, uint8_t **buf, size_t *len,
			 struct rw_err *err) __attribute__((warn_unused_result));
int rw_sitetab_parse(struct rw_sitetab *t, const uint8_t *buf, size_t len, struct rw_err *err)
	__attribute__((warn_unused_result));
void rw_sitetab_free(struct rw_sitetab *t);
const struct ulvm_st_site *rw_sitetab_find(const struct rw_sitetab *t, uint32_t va);
void rw_sitetab_dump(const struct rw_sitetab *t, FILE *f);

#endif /* ULVM_REWRITER_SITETAB_H */
