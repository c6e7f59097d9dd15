// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* pit.c - i8253/8254 interval timer driven by the host's monotonic clock.
 *
 * Theory of operation: a counter has no state that ticks; its count is
 * computed from the host time elapsed since it was loaded (start_ns) at
 * PIT_HZ.  Channel 0's output edges (IRQ0) are due at start + k * period in
 * modes 2 and 3 and once at start + count in modes 0 and 4 (Linux's
 * periodic and oneshot clockevents); @irq_next holds the next
 * one and pit_poll(), called on each trap and when the host timer fires,
 * reports how many fell due (several are merged into one, counted in @lost).
 * Port 0x61 gates channel 2 and shows its output in bit 5, as Linux's TSC
 * calibration expects.
 */

#include "config.h"

#include <string.h>

#include "vmm/pit.h"

static uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	return ticks * 1000000000ull / PIT_HZ;
}

static uint64_t pit_ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000ull);
}

static uint32_t pit_period(const struct pit_chan *c)
{
	return c->reload ? c->reload : 0x10000;
}

static uint8_t pit_mode(const struct pit_chan *c)
{
	return c->mode > 5 ? c->mode - 4 : c->mode;
}

/**
 * pit_init() - reset the timer
 * @p:		timer
 * @now:	monotonic clock in ns
 * @opaque:	argument of @now
 */
void pit_init(struct pit *p, uint64_t (*now)(void *), void *opaque)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 3; i++) {
		p->ch[i].access = 3;
		p->ch[i].gate = i != 2;
	}
	p->irq_next = PIT_NEVER;
	p->now = now;
	p->now_opaque = opaque;
}

/* Elapsed ticks of a running counter. */
static uint64_t pit_elapsed(const struct pit_chan *c, uint64_t now)
{
	if (!c->armed || !c->gate || now < c->start_ns)
		return 0;
	return pit_ns_to_ticks(now - c->start_ns);
}

/**
 * pit_count() - current count of a channel
 * @p:		timer
 * @chan:	0..2
 * @now:	host time, ns
 *
 * Return: the 16-bit count as the guest would read it.
 */
uint16_t pit_count(const struct pit *p, unsigned int chan, uint64_t now)
{
	const struct pit_chan *c = &p->ch[chan % 3];
	uint64_t t = pit_elapsed(c, now), per = pit_period(c);

	if (!c->armed)
		return (uint16_t)c->reload;
	switch (pit_mode(c)) {
	case 2:
	case 3:
		return (uint16_t)(per - t % per);
	default:	/* one-shot modes count down and wrap */
		return (uint16_t)(per - t);
	}
}

/**
 * pit_out() - level of a channel's output pin
 * @p:		timer
 * @chan:	0..2
 * @now:	host time, ns
 *
 * Return: true when the output is high.
 */
bool pit_out(const struct pit *p, unsigned int chan, uint64_t now)
{
	const struct pit_chan *c = &p->ch[chan % 3];
	uint64_t t = pit_elapsed(c, now), per = pit_period(c);

	if (!c->armed)
		return pit_mode(c) != 0;
	switch (pit_mode(c)) {
	case 0:
		return t >= per;
	case 4:				/* strobe: low for one tick at terminal count */
		return t != per;
	case 2:
		return t % per != per - 1;
	case 3:
		return t % per < (per + 1) / 2;
	default:
		return true;
	}
}

/* Recompute channel 0's next edge after @now. */
static void pit_rearm(struct pit *p, uint64_t now)
{
	const struct pit_chan *c = &p->ch[0];
	uint64_t per = pit_period(c), t, k;

	p->irq_next = PIT_NEVER;
	if (!c->armed)
		return;
	switch (pit_mode(c)) {
	case 0:
	case 4:				/* Linux's oneshot clockevent */
		if (pit_elapsed(c, now) < per || now < c->start_ns)
			p->irq_next = c->start_ns + pit_ticks_to_ns(per);
		break;
	case 2:
	case 3:
		t = pit_elapsed(c, now);
		k = t / per + 1;
		while (c->start_ns + pit_ticks_to_ns(k * per) <= now)
			k++;			/* ns/tick rounding */
		p->irq_next = c->start_ns + pit_ticks_to_ns(k * per);
		break;
	default:
		break;
	}
}

/**
 * pit_poll() - account for time passing
 * @p:		timer
 * @now:	host time, ns
 *
 * Return: 1 when channel 0 produced an edge since the last poll (the caller
 * raises IRQ0), else 0.  Extra edges are counted in @lost.
 */
unsigned int pit_poll(struct pit *p, uint64_t now)
{
	const struct pit_chan *c = &p->ch[0];
	uint64_t per;
	unsigned int fired = 0;

	if (p->irq_next == PIT_NEVER || now < p->irq_next)
		return 0;
	per = pit_ticks_to_ns(pit_period(c));
	if (pit_mode(c) != 0 && pit_mode(c) != 4 && per && now - p->irq_next >= per)
		p->lost += (now - p->irq_next) / per;
	fired = 1;
	if (pit_mode(c) == 0 || pit_mode(c) == 4)
		p->irq_next = PIT_NEVER;
	else
		pit_rearm(p, now);
	return fired;
}

static void pit_load(struct pit *p, unsigned int n, uint64_t now)
{
	struct pit_chan *c = &p->ch[n];

	c->armed = true;
	c->start_ns = now;
	if (n == 0)
		pit_rearm(p, now);
}

static void pit_latch(struct pit *p, unsigned int n, uint64_t now)
{
	struct pit_chan *c = &p->ch[n];

	if (c->latched)
		return;
	c->latch = pit_count(p, n, now);
	c->latched = true;
	c->read_hi = false;
}

static void pit_write_control(struct pit *p, uint8_t v, uint64_t now)
{
	unsigned int n = v >> 6, i;
	struct pit_chan *c;

	if (n == 3) {				/* 8254 read-back */
		for (i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			c = &p->ch[i];
			if (!(v & 0x20))
				pit_latch(p, i, now);
			if (!(v & 0x10) && !c->status_latched) {
				c->status = (uint8_t)((pit_out(p, i, now) ? 0x80 : 0) |
						      c->access << 4 | c->mode << 1);
				c->status_latched = true;
			}
		}
		return;
	}
	c = &p->ch[n];
	if (!((v >> 4) & 3)) {			/* counter latch */
		pit_latch(p, n, now);
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	c->write_hi = c->read_hi = false;
	c->latched = c->status_latched = false;
	c->armed = false;
	if (n == 0)
		p->irq_next = PIT_NEVER;
}

static void pit_write_count(struct pit *p, unsigned int n, uint8_t v, uint64_t now)
{
	struct pit_chan *c = &p->ch[n];

	switch (c->access) {
	case 1:
		c->reload = v;
		pit_load(p, n, now);
		break;
	case 2:
		c->reload = (uint32_t)v << 8;
		pit_load(p, n, now);
		break;
	default:
		if (!c->write_hi) {
			c->reload = (c->reload & 0xff00) | v;
			c->write_hi = true;
			if (pit_mode(c) == 0) {	/* mode 0 stops on the low byte */
				c->armed = false;
				if (n == 0)
					p->irq_next = PIT_NEVER;
			}
		} else {
			c->reload = (c->reload & 0x00ff) | (uint32_t)v << 8;
			c->write_hi = false;
			pit_load(p, n, now);
		}
		break;
	}
}

static uint8_t pit_read_count(struct pit *p, unsigned int n, uint64_t now)
{
	struct pit_chan *c = &p->ch[n];
	uint16_t v;
	uint8_t r;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->latched ? c->latch : pit_count(p, n, now);
	switch (c->access) {
	case 1:
		c->latched = false;
		return (uint8_t)v;
	case 2:
		c->latched = false;
		return (uint8_t)(v >> 8);
	default:
		r = c->read_hi ? (uint8_t)(v >> 8) : (uint8_t)v;
		if (c->read_hi)
			c->latched = false;
		c->read_hi = !c->read_hi;
		return r;
	}
}

/**
 * pit_io_handler() - ports 0x40..0x43
 * @cpu:	unused
 * @port:	port
 * @data:	byte
 * @len:	access size (low byte used)
 * @is_write:	direction
 * @opaque:	struct pit
 *
 * Return: 0.
 */
int pit_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		   unsigned int len, bool is_write, void *opaque)
{
	struct pit *p = opaque;
	uint64_t now = p->now(p->now_opaque);
	unsigned int n = port & 3;

	if (is_write) {
		if (n == 3)
			pit_write_control(p, data[0], now);
		else
			pit_write_count(p, n, data[0], now);
		return 0;
	}
	data[0] = n == 3 ? 0xff : pit_read_count(p, n, now);
	return 0;
}

/**
 * pit_port61_handler() - port 0x61: channel 2 gate, speaker, OUT2, refresh
 * @cpu:	unused
 * @port:	0x61
 * @data:	byte
 * @len:	access size
 * @is_write:	direction
 * @opaque:	struct pit
 *
 * Return: 0.
 */
int pit_port61_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		       unsigned int len, bool is_write, void *opaque)
{
	struct pit *p = opaque;
	uint64_t now = p->now(p->now_opaque);
	struct pit_chan *c2 = &p->ch[2];

	if (is_write) {
		bool gate = data[0] & 1;

		if (gate && !c2->gate && c2->armed)
			c2->start_ns = now;	/* rising gate restarts modes 0, 1 */
		c2->gate = gate;
		p->port61 = data[0] & 3;
		return 0;
	}
	p->refresh = !p->refresh;
	data[0] = (uint8_t)(p->port61 | (p->refresh ? 0x10 : 0) |
			    (pit_out(p, 2, now) ? 0x20 : 0));
	return 0;
}
