/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* irq.h - interrupt and exception delivery through the guest IDT; iret. */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

/* What raised a vector: decides privilege checks and the error code. */
enum irq_source {
	IRQ_HW,		/* external interrupt from the PIC */
	IRQ_SOFT,	/* int n, int3, into: gate DPL checked */
	IRQ_EXC,	/* processor exception */
};

struct vm;

int irq_deliver(struct vm *vm, unsigned int vec, enum irq_source src,
		bool has_err, uint32_t err);
int irq_raise_exc(struct vm *vm, int exc);
int irq_iret(struct vm *vm);
bool irq_check(struct vm *vm);
bool irq_exc_has_err(unsigned int vec);

#endif /* VMM_IRQ_H */
