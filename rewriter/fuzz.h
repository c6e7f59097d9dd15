/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* fuzz.h - one entry point that pushes arbitrary bytes through every reader of the rewriter. */
#ifndef ULVM_REWRITER_FUZZ_H
#define ULVM_REWRITER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int rw_fuzz_one(const uint8_t *data, size_t len);

#endif /* ULVM_REWRITER_FUZZ_H */
