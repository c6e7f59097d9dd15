/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* pic.h - i8259A pair (master 0x20, slave 0xa0), edge triggered. */
#ifndef VMM_PIC_H
#define VMM_PIC_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct pic_chip - one 8259A
 * @irr:	interrupt request register
 * @isr:	in-service register
 * @imr:	interrupt mask register
 * @last:	input levels seen last, for edge detection
 * @vbase:	vector of IR0 (ICW2)
 * @init_step:	next initialisation word expected: 0 none, 2, 3 or 4
 * @need_icw4:	ICW1 announced an ICW4
 * @single:	ICW1 single mode (no ICW3)
 * @read_isr:	OCW3 selected ISR for reads of the command port
 * @auto_eoi:	ICW4 AEOI
 */
struct pic_chip {
	uint8_t irr, isr, imr, last, vbase;
	uint8_t init_step;
	bool need_icw4, single, read_isr, auto_eoi;
};

/**
 * struct pic - the cascaded pair; the slave's output is master IR2
 * @c:		[0] master, [1] slave
 * @spurious:	acknowledgements that found nothing (vector IR7 given)
 */
struct pic {
	struct pic_chip c[2];
	uint64_t spurious;
};

struct cpu;

void pic_init(struct pic *p);
void pic_set_irq(struct pic *p, unsigned int irq, int level);
int pic_pending(const struct pic *p);
int pic_ack(struct pic *p);
int pic_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		   unsigned int len, bool is_write, void *opaque);

#endif /* VMM_PIC_H */
