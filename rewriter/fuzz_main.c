// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* fuzz_main.c - libFuzzer entry point over rw_fuzz_one() (make fuzz-rewriter CC=clang). */

#include <stddef.h>
#include <stdint.h>

#include "rewriter/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rw_fuzz_one(data, size);
	return 0;
}
