/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* err.h - the rewriter's error report: a -errno code and a sentence saying why. */
#ifndef ULVM_REWRITER_ERR_H
#define ULVM_REWRITER_ERR_H

/**
 * struct rw_err - why the last operation failed
 * @code:	the negative errno returned with it
 * @msg:	a complete sentence for the user, without trailing newline
 */
struct rw_err {
	int code;
	char msg[256];
};

int rw_err_set(struct rw_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* ULVM_REWRITER_ERR_H */
