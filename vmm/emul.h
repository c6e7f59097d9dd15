/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* emul.h - decode (capstone) and emulate the guest's sensitive instructions. */
#ifndef VMM_EMUL_H
#define VMM_EMUL_H

#include <stdint.h>

#include "vmm/util.h"

#define EMUL_HALT	1	/* hlt emulated: wait for an interrupt */

struct vm;

int emul_init(struct vm *vm) WARN_UNUSED;
void emul_fini(struct vm *vm);
int emul_insn(struct vm *vm, char *what, unsigned int what_len);
int emul_bytes(struct vm *vm, uint32_t eip, const uint8_t *insn, unsigned int len,
	       char *what, unsigned int what_len);
int emul_mem(struct vm *vm, uint32_t lin, char *what, unsigned int what_len);
int emul_fetch_decode(struct vm *vm, uint32_t lin, uint32_t eip);

#endif /* VMM_EMUL_H */
