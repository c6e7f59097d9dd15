/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* trap_priv.h - trap-path internals shared by cpu.c, irq.c and emul.c. */
#ifndef VMM_TRAP_PRIV_H
#define VMM_TRAP_PRIV_H

#include <stdint.h>

void trap_load_sreg(int r, uint16_t host_sel, uint32_t base);
void trap_count_insn(unsigned int id);

#endif /* VMM_TRAP_PRIV_H */
