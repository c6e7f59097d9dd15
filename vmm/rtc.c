// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* rtc.c - MC146818 CMOS RTC: the host's UTC time, in BCD or binary.
 *
 * Theory of operation: the time registers are computed from @time on every
 * read, in the format register B selects (BCD unless DM, 24-hour when 24/12
 * is set; the reset value is BCD, 24-hour).  No update cycle is ever in
 * progress (register A UIP reads 0), no alarm or periodic interrupt is
 * raised (IRQ 8 stays low), register D reports valid RAM.  The rest of the
 * 128 bytes is plain NVRAM; the memory size words are filled as a BIOS
 * would.
 */

#include "config.h"

#include <string.h>

#include "vmm/rtc.h"

enum {
	RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_WDAY = 0x06,
	RTC_MDAY = 0x07, RTC_MON = 0x08, RTC_YEAR = 0x09, RTC_A = 0x0a,
	RTC_B = 0x0b, RTC_C = 0x0c, RTC_D = 0x0d, RTC_CENTURY = 0x32,
};

void rtc_init(struct rtc *r, time_t (*clock)(void), uint64_t mem_size)
{
	uint64_t ext;

	memset(r, 0, sizeof(*r));
	r->time = clock;
	r->cmos[RTC_A] = 0x26;
	r->cmos[RTC_B] = 0x02;
	r->cmos[RTC_D] = 0x80;
	/* KiB above 1 MiB (max 63 MiB) and 64 KiB units above 16 MiB. */
	ext = mem_size > (1u << 20) ? (mem_size - (1u << 20)) >> 10 : 0;
	if (ext > 0xfc00)
		ext = 0xfc00;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)ext;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(ext >> 8);
	ext = mem_size > (16u << 20) ? (mem_size - (16u << 20)) >> 16 : 0;
	if (ext > 0xffff)
		ext = 0xffff;
	r->cmos[0x34] = (uint8_t)ext;
	r->cmos[0x35] = (uint8_t)(ext >> 8);
}

static uint8_t rtc_fmt(const struct rtc *r, int v)
{
	if (r->cmos[RTC_B] & 0x04)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_read(struct rtc *r, uint8_t idx)
{
	time_t t = r->time ? r->time() : 0;
	struct tm tm;
	uint8_t v;

	if (idx > RTC_YEAR && idx != RTC_CENTURY) {
		v = r->cmos[idx];
		if (idx == RTC_C)
			r->cmos[RTC_C] = 0;
		return v;
	}
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	switch (idx) {
	case RTC_SEC: return rtc_fmt(r, tm.tm_sec > 59 ? 59 : tm.tm_sec);
	case RTC_MIN: return rtc_fmt(r, tm.tm_min);
	case RTC_HOUR:
		if (r->cmos[RTC_B] & 0x02)
			return rtc_fmt(r, tm.tm_hour);
		v = rtc_fmt(r, tm.tm_hour % 12 ? tm.tm_hour % 12 : 12);
		return (uint8_t)(v | (tm.tm_hour >= 12 ? 0x80 : 0));
	case RTC_WDAY: return rtc_fmt(r, tm.tm_wday + 1);
	case RTC_MDAY: return rtc_fmt(r, tm.tm_mday);
	case RTC_MON: return rtc_fmt(r, tm.tm_mon + 1);
	case RTC_YEAR: return rtc_fmt(r, tm.tm_year % 100);
	case RTC_CENTURY: return rtc_fmt(r, (tm.tm_year + 1900) / 100);
	default: return r->cmos[idx];	/* alarm registers */
	}
}

/**
 * rtc_io_handler() - port 0x70 (index) and 0x71 (data)
 * @cpu:	unused
 * @port:	port
 * @data:	byte
 * @len:	access size (low byte used)
 * @is_write:	direction
 * @opaque:	struct rtc
 *
 * Return: 0.
 */
int rtc_io_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		   unsigned int len, bool is_write, void *opaque)
{
	struct rtc *r = opaque;

	if (!(port & 1)) {
		if (is_write)
			r->index = data[0] & 0x7f;
		else
			data[0] = r->index;
		return 0;
	}
	if (!is_write) {
		data[0] = rtc_read(r, r->index);
		return 0;
	}
	switch (r->index) {
	case RTC_A:
		r->cmos[RTC_A] = data[0] & 0x7f;	/* UIP is read-only */
		break;
	case RTC_C:
	case RTC_D:
		break;
	default:
		if (r->index > RTC_YEAR)	/* setting the clock is ignored */
			r->cmos[r->index] = data[0];
		break;
	}
	return 0;
}
