/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* console.h - the terminal behind ttyS0: raw input, Ctrl-A x, buffered output. */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

void console_init(struct vm *vm);
void console_restore(void);
void console_tx(void *opaque, uint8_t c);
void console_flush(void);
void console_poll(struct vm *vm);
bool console_escape(struct vm *vm, uint8_t c);
/* Lines console_watch() recognises. */
enum {
	CONSOLE_EV_NONE = -1,
	CONSOLE_EV_PANIC,
	CONSOLE_EV_HALT,
	CONSOLE_EV_POWEROFF,
	CONSOLE_EV_NR
};

int console_watch(uint8_t c, uint64_t now);
bool console_seen_event(int ev);
bool console_panic_due(uint64_t now);

#endif /* VMM_CONSOLE_H */
