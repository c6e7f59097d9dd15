/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* trap_priv.h - trap-path internals shared by cpu.c, irq.c and emul.c. */
#ifndef VMM_TRAP_PRIV_H
#define VMM_TRAP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

void trap_load_sreg(int r, uint16_t host_sel, uint32_t base);
void trap_count_insn(unsigned int id);
void trap_result(struct vm *vm, int rc, const char *what, const char *insn);
void trap_finish(struct vm *vm, uint64_t t0, bool tick);

/* shared with hypercall.c's entry code */
extern volatile uint8_t trap_sud_sel;
extern uint64_t trap_host_fsbase, trap_guest_fsbase;
extern uint16_t trap_guest_fs;

#endif /* VMM_TRAP_PRIV_H */
