/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* util.h - small helpers shared by every file of the monitor: logging, ASSERT. */
#ifndef VMM_UTIL_H
#define VMM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void util_log(const char *lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void util_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void util_assert_fail(const char *expr, const char *file, int line,
		      const char *func) __attribute__((noreturn));

/* Logging goes to stderr, prefixed with "ulvm: ", never to the guest console. */
#define err(...)	util_log("error", __VA_ARGS__)
#define warn(...)	util_log("warning", __VA_ARGS__)
#define info(...)	util_log(NULL, __VA_ARGS__)
#define die(...)	util_die(__VA_ARGS__)

/* An ASSERT stays on in release builds: it logs where and aborts. */
#define ASSERT(e)							\
	do {								\
		if (!(e))						\
			util_assert_fail(#e, __FILE__, __LINE__, __func__); \
	} while (0)

#define WARN_UNUSED	__attribute__((warn_unused_result))

#endif /* VMM_UTIL_H */
