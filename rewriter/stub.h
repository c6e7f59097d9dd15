/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* stub.h - generation of the out-of-line stubs, shared by rewriting and --check. */
#ifndef ULVM_REWRITER_STUB_H
#define ULVM_REWRITER_STUB_H

#include <stddef.h>
#include <stdint.h>

/* Longest stub we ever emit for one region. */
#define RW_STUB_MAX 512

/**
 * struct rw_stub_insn - one instruction of a region, as the stub generator sees it
 * @b:		its original bytes
 * @len:	their number
 * @va:		its original address
 * @site:	1 if it is a site to emulate or hand to the monitor
 * @id:		the site id (when @site)
 * @call_ret:	OUT: return EIP of the monitor call made for it, 0 if none
 * @emul:	OUT: 1 if emulated in guest mode (ULVM_SD_STUB_EMUL)
 */
struct rw_stub_insn {
	const uint8_t *b;
	uint8_t len;
	uint32_t va;
	int site;
	uint32_t id;
	uint32_t call_ret;
	int emul;
};

int rw_stub_emit(struct rw_stub_insn *ins, size_t n, uint32_t region_end, uint32_t stub_va,
		 uint32_t vcpu_va, uint8_t *out, size_t cap);
int rw_stub_emulable(const uint8_t *b, size_t len);

#endif /* ULVM_REWRITER_STUB_H */
