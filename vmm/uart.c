// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* uart.c - 8250/16550A UART: transmit to a sink, receive from a FIFO.
 *
 * Theory of operation: transmission is instantaneous (a written THR byte
 * goes to @tx at once, so THR is always empty and LSR always shows THRE and
 * TEMT); receiving fills @rx from the console.  The interrupt identification
 * follows the 16550 priorities (received data, then THR empty); the line to
 * the PIC is the pending interrupt gated by MCR OUT2, as on a PC, and every
 * change of level is passed to @irq.  Loopback (MCR bit 4) sends THR to the
 * receiver and reflects the modem-control outputs in MSR, which is how
 * Linux's 8250 driver probes the port.  The baud divisor is kept but has no
 * effect.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/uart.h"

#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10

void uart_init(struct uart *u, void (*tx)(void *, uint8_t),
	       void (*irq)(void *, int), void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->irq = irq;
	u->opaque = opaque;
}

/* Interrupt identification register value (without FIFO bits). */
static uint8_t uart_iir(const struct uart *u)
{
	if ((u->ier & 0x01) && u->rx_len)
		return 0x04;
	if ((u->ier & 0x02) && u->thri)
		return 0x02;
	return 0x01;
}

static void uart_update_irq(struct uart *u)
{
	int level = uart_iir(u) != 0x01 && (u->mcr & UART_MCR_OUT2);

	if (level != u->level) {
		u->level = level;
		if (u->irq)
			u->irq(u->opaque, level);
	}
}

bool uart_rx_room(const struct uart *u)
{
	return u->rx_len < UART_RX_SIZE;
}

/**
 * uart_receive() - a byte arrives on the line
 * @u:		UART
 * @c:		byte
 *
 * Return: 0, or -ENOBUFS when the receive FIFO is full (byte dropped).
 */
int uart_receive(struct uart *u, uint8_t c)
{
	if (!uart_rx_room(u)) {
		u->overrun++;
		return -ENOBUFS;
	}
	u->rx[(u->rx_head + u->rx_len) % UART_RX_SIZE] = c;
	u->rx_len++;
	uart_update_irq(u);
	return 0;
}

static uint8_t uart_msr(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & UART_MCR_LOOP))
		return 0xb0;			/* DCD, DSR, CTS */
	return (uint8_t)(((m & 0x02) << 3) | ((m & 0x01) << 5) |
			 ((m & 0x04) << 4) | ((m & 0x08) << 4));
}

static void uart_write(struct uart *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & 0x80;

	switch (reg) {
	case 0:
		if (dlab) {
			u->dll = v;
			break;
		}
		if (u->mcr & UART_MCR_LOOP)
			uart_receive(u, v);
		else if (u->tx)
			u->tx(u->opaque, v);
		u->thri = true;
		break;
	case 1:
		if (dlab) {
			u->dlm = v;
			break;
		}
		if ((v & 0x02) && !(u->ier & 0x02))
			u->thri = true;		/* THR is empty: say so at once */
		u->ier = v & 0x0f;
		break;
	case 2:
		u->fcr = v;
		if (v & 0x02) {
			u->rx_len = 0;
			u->rx_head = 0;
		}
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		u->mcr = v & 0x1f;
		break;
	case 7:
		u->scr = v;
		break;
	default:				/* LSR, MSR: read-only */
		break;
	}
	uart_update_irq(u);
}

static uint8_t uart_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & 0x80;
	uint8_t v;

	switch (reg) {
	case 0:
		if (dlab)
			return u->dll;
		if (!u->rx_len)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_RX_SIZE;
		u->rx_len--;
		uart_update_irq(u);
		return v;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		v = uart_iir(u);
		if (v == 0x02) {		/* reading IIR clears THRE */
			u->thri = false;
			uart_update_irq(u);
		}
		return (uint8_t)(v | ((u->fcr & 1) ? 0xc0 : 0));
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return (uint8_t)(UART_LSR_THRE | UART_LSR_TEMT |
				 (u->rx_len ? UART_LSR_DR : 0));
	case 6:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

/**
 * uart_io_handler() - the eight registers at base..base+7
 * @cpu:	unused
 * @port:	port (register = port & 7)
 * @data:	byte
 * @len:	access size (low byte used)
 * @is_write:	direction
 * @opaque:	struct uart
 *
 * Return: 0.
 */
int uart_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		    unsigned int len, bool is_write, void *opaque)
{
	struct uart *u = opaque;

	if (is_write)
		uart_write(u, port & 7, data[0]);
	else
		data[0] = uart_read(u, port & 7);
	return 0;
}
