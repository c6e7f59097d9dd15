/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* exec32.h - run rewritten 32-bit guest code natively (compatibility mode) inside a unit test. */
#ifndef ULVM_TESTS_UNIT_REWRITER_EXEC32_H
#define ULVM_TESTS_UNIT_REWRITER_EXEC32_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/vcpu_abi.h"

/* Fixed low addresses used by the harness (all below 4 GiB). */
#define EX_TEXT 0x10000000u  /* the test image's text (TB_VA) */
#define EX_PATCH 0x10100000u /* patch area */
#define EX_VCPU 0x10200000u  /* vCPU page */
#define EX_HARN 0x10300000u  /* harness code, stack, register blocks */

/**
 * struct ex_regs - 32-bit register state handed in and out
 * @eax, @ebx, @ecx, @edx, @esi, @edi, @ebp: general registers
 * @esp:	OUT only: the stack pointer after the call returned
 * @eflags:	flags
 */
struct ex_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags;
};

/**
 * struct ex_monitor - what the fake monitor saw
 * @calls:	monitor calls made
 * @last_id:	site id pushed by the last one
 */
struct ex_monitor {
	uint32_t calls, last_id;
};

int ex_setup(const uint8_t *text, size_t tlen, const uint8_t *patch, size_t plen);
int ex_call(uint32_t entry, const struct ex_regs *in, struct ex_regs *out, struct ex_monitor *mon);
void ex_teardown(void);
struct ulvm_vcpu_page *ex_vcpu(void);

#endif /* ULVM_TESTS_UNIT_REWRITER_EXEC32_H */
