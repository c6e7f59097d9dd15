/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* sites.h - the site table of a kernel rewritten by ulvm-rewrite. */
#ifndef VMM_SITES_H
#define VMM_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/sitetab_abi.h"

/**
 * struct sites - a validated site table
 * @blob:	the table as read from the image (owned)
 * @len:	its size
 * @hdr:	copy of its header
 * @order:	site indices sorted by guest VA
 * @ntrap:	sites left as int3 traps (ULVM_SD_TRAP)
 * @nstub:	sites rewritten into stubs (not supported by this monitor yet)
 */
struct sites {
	uint8_t *blob;
	size_t len;
	struct ulvm_st_header hdr;
	uint32_t *order;
	uint32_t ntrap, nstub;
};

int sites_parse(struct sites *st, const uint8_t *blob, size_t len, const char **why);
void sites_free(struct sites *st);
int sites_get(const struct sites *st, uint32_t i, struct ulvm_st_site *out);
int sites_find(const struct sites *st, uint32_t vaddr, struct ulvm_st_site *out);

#endif /* VMM_SITES_H */
