// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* console.c - stdin/stdout as the guest's serial line.
 *
 * Theory of operation: output from the UART is buffered and written to
 * stdout at each newline, when the buffer fills, when the guest halts and
 * at exit.  Input is read from stdin without blocking whenever the monitor
 * polls (timer ticks and hlt), only as much as the UART's receive FIFO can
 * take.  A terminal is put in raw input mode (no echo, no line editing, no
 * signals: Ctrl-C goes to the guest) and restored on every exit path;
 * Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, as in QEMU.
 * The output is also watched for Linux's "Kernel panic - not syncing" (a
 * panicked kernel spins forever with interrupts off: the monitor ends the
 * VM with a failure status shortly after, console_panic_due()) and for its
 * "reboot: System halted" / "reboot: Power down" (after which the final
 * cli; hlt is a power-off, exit status 0).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/vm.h"

static struct termios console_saved;
static bool console_raw;
static bool console_esc;
static char console_buf[4096];
static size_t console_len;
/* Lines of Linux's that say how it ends: a panicked kernel spins with
 * interrupts off, a halted or powered-off one without ACPI stops in
 * cli; hlt -- the monitor ends the VM accordingly. */
static const char *const console_watch_msg[CONSOLE_EV_NR] = {
	[CONSOLE_EV_PANIC] = "Kernel panic - not syncing",
	[CONSOLE_EV_HALT] = "reboot: System halted",
	[CONSOLE_EV_POWEROFF] = "reboot: Power down",
};
static size_t console_watch_pos[CONSOLE_EV_NR];
static uint64_t console_panic_at;
static bool console_seen[CONSOLE_EV_NR];

/**
 * console_watch() - feed one output byte to the end-of-life detectors
 * @c:		byte
 * @now:	host time, ns
 *
 * Return: the event this byte completes, or CONSOLE_EV_NONE.
 */
int console_watch(uint8_t c, uint64_t now)
{
	int ev, hit = CONSOLE_EV_NONE;

	for (ev = 0; ev < CONSOLE_EV_NR; ev++) {
		const char *m = console_watch_msg[ev];
		size_t *pos = &console_watch_pos[ev];

		if (c == (uint8_t)m[*pos])
			(*pos)++;
		else
			*pos = c == (uint8_t)m[0];
		if (m[*pos])
			continue;
		*pos = 0;
		console_seen[ev] = true;
		hit = ev;
		if (ev == CONSOLE_EV_PANIC && !console_panic_at)
			console_panic_at = now ? now : 1;
	}
	return hit;
}

/**
 * console_seen_event() - has the guest printed an event's line?
 * @ev:		CONSOLE_EV_*
 *
 * Return: true once it has.
 */
bool console_seen_event(int ev)
{
	return ev >= 0 && ev < CONSOLE_EV_NR && console_seen[ev];
}

/**
 * console_panic_due() - has the guest panicked long enough ago?
 * @now:	host time, ns
 *
 * Return: true half a second after the panic message (its report is out).
 */
bool console_panic_due(uint64_t now)
{
	return console_panic_at && now - console_panic_at > 500000000ull;
}

/**
 * console_init() - take over stdin (raw mode if a terminal)
 * @vm:		virtual machine; console_fd becomes 0, or -1 without stdin
 */
void console_init(struct vm *vm)
{
	struct termios t;

	vm->console_fd = fcntl(0, F_GETFL) >= 0 ? 0 : -1;
	if (vm->console_fd < 0 || !isatty(0) || tcgetattr(0, &console_saved))
		return;
	t = console_saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(0, TCSAFLUSH, &t))
		console_raw = true;
}

/**
 * console_restore() - flush output and give the terminal back
 */
void console_restore(void)
{
	console_flush();
	if (console_raw)
		tcsetattr(0, TCSAFLUSH, &console_saved);
	console_raw = false;
}

/**
 * console_flush() - write buffered guest output to stdout
 */
void console_flush(void)
{
	size_t off = 0;

	while (off < console_len) {
		ssize_t n = write(1, console_buf + off, console_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;			/* stdout gone: drop the output */
		off += (size_t)n;
	}
	console_len = 0;
}

/**
 * console_tx() - the UART's transmit sink
 * @opaque:	unused
 * @c:		byte
 */
void console_tx(void *opaque, uint8_t c)
{
	(void)opaque;
	console_watch(c, vm_now(NULL));
	console_buf[console_len++] = (char)c;
	if (c == '\n' || console_len == sizeof(console_buf))
		console_flush();
}

/**
 * console_escape() - the Ctrl-A escape state machine
 * @vm:		virtual machine (exit requested on Ctrl-A x)
 * @c:		input byte
 *
 * Return: true when @c is to be passed to the guest.
 */
bool console_escape(struct vm *vm, uint8_t c)
{
	if (console_esc) {
		console_esc = false;
		if (c == 'x' || c == 'X') {
			vm_request_exit(vm, 0, "terminated by Ctrl-A x");
			return false;
		}
		return c == 0x01;
	}
	if (c == 0x01) {
		console_esc = true;
		return false;
	}
	return true;
}

/**
 * console_poll() - move available input into the UART
 * @vm:		virtual machine
 */
void console_poll(struct vm *vm)
{
	struct pollfd p = { .fd = vm->console_fd, .events = POLLIN };
	uint8_t b[64];
	ssize_t n, i;
	size_t room;

	if (vm->console_fd < 0)
		return;
	room = UART_RX_SIZE - vm->uart.rx_len;
	if (!room || poll(&p, 1, 0) != 1)
		return;
	n = read(vm->console_fd, b, room < sizeof(b) ? room : sizeof(b));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			vm->console_fd = -1;	/* EOF: no more input */
		return;
	}
	for (i = 0; i < n; i++)
		if (console_escape(vm, b[i]))
			uart_receive(&vm->uart, b[i]);
}
