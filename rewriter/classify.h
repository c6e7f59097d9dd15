/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* classify.h - what an x86-32 instruction is: sensitive class, control flow, prefixes. */
#ifndef ULVM_REWRITER_CLASSIFY_H
#define ULVM_REWRITER_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/sitetab_abi.h"

/* Control-flow kinds (struct rw_iclass.ctl). */
enum rw_ctl {
	RW_CTL_NONE = 0, /* falls through, position independent */
	RW_CTL_JCC,	 /* conditional jump, rel8 or rel32 */
	RW_CTL_JMP,	 /* jmp rel8/rel32 */
	RW_CTL_CALL,	 /* call rel32 */
	RW_CTL_RET,	 /* near ret, ret imm16 */
	RW_CTL_IND,	 /* indirect near jmp/call */
	RW_CTL_OTHER,	 /* loop/jecxz, int, ud2, far transfers, 16-bit branches... */
};

/**
 * struct rw_iclass - the facts the rewriter needs about one instruction
 * @cls:	enum ulvm_site_class (ULVM_SC_NONE when not sensitive)
 * @ctl:	enum rw_ctl
 * @nop:	a no-op of 5 bytes or more: may be a run-time patch point
 * @pad:	a no-op or int3 of any length (padding when not executed)
 * @lock:	has a lock prefix
 * @opsize:	has an operand-size prefix (0x66)
 * @ext:	opcode map: 0 one-byte, 1 0x0f
 * @op:		the opcode byte
 * @op_off:	offset of the opcode byte after prefixes
 * @target:	absolute target of a direct JCC/JMP/CALL
 * @rel_size:	size of its displacement (1 or 4), else 0
 */
struct rw_iclass {
	uint8_t cls;
	uint8_t ctl;
	uint8_t nop;
	uint8_t pad;
	uint8_t lock;
	uint8_t opsize;
	uint8_t ext;
	uint8_t op;
	uint8_t op_off;
	uint32_t target;
	uint8_t rel_size;
};

void rw_classify(const uint8_t *p, size_t len, uint32_t va, struct rw_iclass *ic);
size_t rw_classify_extra_len(const uint8_t *p, size_t len);
const char *rw_class_name(unsigned int cls);
const char *rw_disp_name(unsigned int disp);
int rw_class_privileged(unsigned int cls);
int rw_class_noreturn(unsigned int cls);

#endif /* ULVM_REWRITER_CLASSIFY_H */
