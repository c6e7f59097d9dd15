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
bool console_watch(uint8_t c, uint64_t now);
bool console_panic_due(uint64_t now);

#endif /* VMM_CONSOLE_H */
