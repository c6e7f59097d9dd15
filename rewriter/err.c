// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* err.c - filling in struct rw_err. */

#include <stdarg.h>
#include <stdio.h>

#include "rewriter/err.h"

/**
 * rw_err_set() - record an error
 * @err:	where to record it (may be NULL)
 * @code:	negative errno
 * @fmt:	printf format of the message
 *
 * Return: @code, so that callers can "return rw_err_set(...)".
 */
int rw_err_set(struct rw_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}
