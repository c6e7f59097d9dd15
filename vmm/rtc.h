/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* rtc.h - MC146818 CMOS real-time clock at ports 0x70/0x71. */
#ifndef VMM_RTC_H
#define VMM_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/**
 * struct rtc - CMOS clock and NVRAM
 * @index:	register selected through port 0x70 (bit 7, NMI mask, dropped)
 * @cmos:	NVRAM; registers 0x00-0x09 and 0x32 are computed from the time
 * @time:	clock in seconds since the epoch, UTC; replaceable by tests
 */
struct rtc {
	uint8_t index;
	uint8_t cmos[128];
	time_t (*time)(void);
};

struct cpu;

void rtc_init(struct rtc *r, time_t (*clock)(void), uint64_t mem_size);
int rtc_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		   unsigned int len, bool is_write, void *opaque);

#endif /* VMM_RTC_H */
