// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* pic.c - i8259A programmable interrupt controller pair.
 *
 * Theory of operation: inputs are edge triggered: a rising edge on IRn
 * latches IRR bit n.  A chip requests the CPU when its highest-priority
 * unmasked IRR bit outranks every ISR bit (fixed priority, IR0 highest).
 * The slave's request is the master's IR2 input, recomputed whenever asked.
 * pic_ack() is the INTA cycle: IRR bit -> ISR bit (unless auto-EOI), and the
 * vector (ICW2 base + n).  The guest ends service with a non-specific or
 * specific EOI (OCW2).  Initialisation: ICW1 on the command port, then ICW2,
 * ICW3 (cascade) and ICW4 on the data port; after that data-port writes are
 * the mask (OCW1).  Rotation, special mask and poll mode are not modelled.
 */

#include "config.h"

#include <string.h>

#include "vmm/pic.h"

void pic_init(struct pic *p)
{
	memset(p, 0, sizeof(*p));
	p->c[0].vbase = 0x08;
	p->c[1].vbase = 0x70;
	p->c[0].imr = p->c[1].imr = 0xff;
}

/* Priority index of the highest set bit of @bits, IR0 first; 8 if none. */
static int pic_highest(uint8_t bits)
{
	int i;

	for (i = 0; i < 8; i++)
		if (bits & (1u << i))
			return i;
	return 8;
}

/* IR line a chip would request, or -1. */
static int pic_chip_request(const struct pic_chip *c, uint8_t irr)
{
	int req = pic_highest(irr & ~c->imr);

	if (req == 8 || pic_highest(c->isr) <= req)
		return -1;
	return req;
}

/* The master's IRR with IR2 reflecting the slave's request line. */
static uint8_t pic_master_irr(const struct pic *p)
{
	uint8_t irr = p->c[0].irr & ~(1u << 2);

	if (pic_chip_request(&p->c[1], p->c[1].irr) >= 0)
		irr |= 1u << 2;
	return irr;
}

/**
 * pic_set_irq() - drive one of the 16 inputs
 * @p:		PIC pair
 * @irq:	0..15 (2 is the cascade and ignored)
 * @level:	0 or 1; a 0->1 transition latches a request
 */
void pic_set_irq(struct pic *p, unsigned int irq, int level)
{
	struct pic_chip *c;
	uint8_t mask;

	if (irq > 15 || irq == 2)
		return;
	c = &p->c[irq >> 3];
	mask = (uint8_t)(1u << (irq & 7));
	if (level) {
		if (!(c->last & mask))
			c->irr |= mask;
		c->last |= mask;
	} else {
		c->last &= (uint8_t)~mask;
	}
}

/**
 * pic_pending() - vector the pair would deliver now
 * @p:		PIC pair
 *
 * Return: vector 0..255, or -1 when nothing is requested.
 */
int pic_pending(const struct pic *p)
{
	int m = pic_chip_request(&p->c[0], pic_master_irr(p));

	if (m < 0)
		return -1;
	if (m == 2 && !p->c[0].single) {
		int s = pic_chip_request(&p->c[1], p->c[1].irr);

		return s < 0 ? -1 : p->c[1].vbase + s;
	}
	return p->c[0].vbase + m;
}

static void pic_chip_ack(struct pic_chip *c, int line)
{
	c->irr &= (uint8_t)~(1u << line);
	if (!c->auto_eoi)
		c->isr |= (uint8_t)(1u << line);
}

/**
 * pic_ack() - INTA: take the highest request into service
 * @p:		PIC pair
 *
 * Return: its vector; the master's IR7 vector (spurious) if none.
 */
int pic_ack(struct pic *p)
{
	int m = pic_chip_request(&p->c[0], pic_master_irr(p));
	int s;

	if (m < 0) {
		p->spurious++;
		return p->c[0].vbase + 7;
	}
	if (m != 2 || p->c[0].single) {
		pic_chip_ack(&p->c[0], m);
		return p->c[0].vbase + m;
	}
	s = pic_chip_request(&p->c[1], p->c[1].irr);
	pic_chip_ack(&p->c[0], 2);
	if (s < 0) {
		p->spurious++;
		return p->c[1].vbase + 7;
	}
	pic_chip_ack(&p->c[1], s);
	return p->c[1].vbase + s;
}

static void pic_write_cmd(struct pic_chip *c, uint8_t v)
{
	if (v & 0x10) {				/* ICW1 */
		c->irr = c->isr = c->imr = 0;
		c->last = 0;
		c->read_isr = false;
		c->auto_eoi = false;
		c->need_icw4 = v & 0x01;
		c->single = v & 0x02;
		c->init_step = 2;
		return;
	}
	if (v & 0x08) {				/* OCW3 */
		if (v & 0x02)
			c->read_isr = v & 0x01;
		return;
	}
	switch (v >> 5) {			/* OCW2 */
	case 1:					/* non-specific EOI */
	case 5: {				/* rotate on non-specific EOI */
		int i = pic_highest(c->isr);

		if (i < 8)
			c->isr &= (uint8_t)~(1u << i);
		break;
	}
	case 3:					/* specific EOI */
	case 7:
		c->isr &= (uint8_t)~(1u << (v & 7));
		break;
	default:				/* priority commands: ignored */
		break;
	}
}

static void pic_write_data(struct pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->vbase = v & 0xf8;
		c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
		break;
	case 3:
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & 0x02;
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
}

/**
 * pic_io_handler() - ports 0x20/0x21 and 0xa0/0xa1
 * @cpu:	unused
 * @port:	port
 * @data:	byte
 * @len:	access size (only the low byte is used)
 * @is_write:	direction
 * @opaque:	struct pic
 *
 * Return: 0.
 */
int pic_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		   unsigned int len, bool is_write, void *opaque)
{
	struct pic *p = opaque;
	struct pic_chip *c = &p->c[(port & 0x80) ? 1 : 0];
	bool dataport = port & 1;

	if (is_write) {
		if (dataport)
			pic_write_data(c, data[0]);
		else
			pic_write_cmd(c, data[0]);
		return 0;
	}
	if (dataport)
		data[0] = c->imr;
	else if (c->read_isr)
		data[0] = c->isr;
	else
		data[0] = c == &p->c[0] ? pic_master_irr(p) : c->irr;
	return 0;
}
