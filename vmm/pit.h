/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* pit.h - i8253/8254 programmable interval timer and port 0x61. */
#ifndef VMM_PIT_H
#define VMM_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ		1193182ull
#define PIT_NEVER	UINT64_MAX

/**
 * struct pit_chan - one counter
 * @reload:	programmed count (0 stands for 65536)
 * @mode:	0..5 (6, 7 alias 2, 3)
 * @access:	1 low byte, 2 high byte, 3 low then high
 * @write_hi:	next write of an access-3 pair is the high byte
 * @read_hi:	next read of an access-3 pair is the high byte
 * @latched:	a latch command froze @latch
 * @latch:	latched count
 * @status_latched: a read-back command froze @status
 * @status:	latched status byte
 * @armed:	a count was loaded and the counter runs
 * @gate:	gate input (channel 2: port 0x61 bit 0; others always 1)
 * @start_ns:	host time at which counting started
 */
struct pit_chan {
	uint32_t reload;
	uint8_t mode, access;
	bool write_hi, read_hi, latched, status_latched, armed, gate;
	uint16_t latch;
	uint8_t status;
	uint64_t start_ns;
};

/**
 * struct pit - the timer chip
 * @ch:		three counters; channel 0 drives IRQ0, channel 2 the speaker
 * @irq_next:	host time of channel 0's next output edge, or PIT_NEVER
 * @port61:	speaker/gate bits written to port 0x61 (bits 0, 1)
 * @refresh:	toggling refresh bit (bit 4) of port 0x61
 * @now:	clock in nanoseconds (monotonic); replaceable by tests
 * @now_opaque:	argument of @now
 * @lost:	channel 0 edges merged because the guest took too long
 */
struct pit {
	struct pit_chan ch[3];
	uint64_t irq_next;
	uint8_t port61;
	bool refresh;
	uint64_t (*now)(void *opaque);
	void *now_opaque;
	uint64_t lost;
};

struct cpu;

void pit_init(struct pit *p, uint64_t (*now)(void *), void *opaque);
unsigned int pit_poll(struct pit *p, uint64_t now);
uint16_t pit_count(const struct pit *p, unsigned int chan, uint64_t now);
bool pit_out(const struct pit *p, unsigned int chan, uint64_t now);
int pit_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		   unsigned int len, bool is_write, void *opaque);
int pit_port61_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		       unsigned int len, bool is_write, void *opaque);

#endif /* VMM_PIT_H */
