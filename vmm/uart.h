/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* uart.h - 8250/16550A serial port (ttyS0 at 0x3f8, IRQ 4). */
#ifndef VMM_UART_H
#define VMM_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_RX_SIZE	256

/**
 * struct uart - one serial port
 * @ier, @lcr, @mcr, @scr, @dll, @dlm, @fcr: registers as the guest wrote them
 * @thri:	a transmitter-empty interrupt is pending
 * @rx:		receive FIFO (ring)
 * @rx_head:	index of the oldest byte in @rx
 * @rx_len:	bytes in @rx
 * @tx:		output sink for transmitted bytes
 * @irq:	interrupt line sink: called with the new level on every change
 * @opaque:	argument of @tx and @irq
 * @level:	last level given to @irq
 * @overrun:	received bytes dropped because @rx was full
 */
struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri;
	uint8_t rx[UART_RX_SIZE];
	unsigned int rx_head, rx_len;
	void (*tx)(void *opaque, uint8_t c);
	void (*irq)(void *opaque, int level);
	void *opaque;
	int level;
	uint64_t overrun;
};

struct cpu;

void uart_init(struct uart *u, void (*tx)(void *, uint8_t),
	       void (*irq)(void *, int), void *opaque);
bool uart_rx_room(const struct uart *u);
int uart_receive(struct uart *u, uint8_t c);
int uart_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		    unsigned int len, bool is_write, void *opaque);

#endif /* VMM_UART_H */
