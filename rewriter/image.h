/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* image.h - a kernel as shipped (bzImage or ELF) turned into the ELF bytes to rewrite. */
#ifndef ULVM_REWRITER_IMAGE_H
#define ULVM_REWRITER_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/err.h"

/* Upper bound on a decompressed kernel, against decompression bombs. */
#define RW_IMAGE_MAX (512u << 20)

/**
 * struct rw_image - the ELF to work on
 * @elf:	the ELF bytes (owned, malloc'ed)
 * @len:	their number
 * @bzimage:	1 if they came out of a bzImage
 * @payload_off: file offset of the compressed payload in the bzImage
 * @boot_proto:	the bzImage's boot protocol version (0x020f = 2.15)
 */
struct rw_image {
	uint8_t *elf;
	size_t len;
	int bzimage;
	size_t payload_off;
	unsigned int boot_proto;
};

int rw_file_read(const char *path, uint8_t **buf, size_t *len, struct rw_err *err)
	__attribute__((warn_unused_result));
int rw_file_write(const char *path, const uint8_t *buf, size_t len, struct rw_err *err)
	__attribute__((warn_unused_result));
int rw_image_load(struct rw_image *img, const uint8_t *buf, size_t len, struct rw_err *err)
	__attribute__((warn_unused_result));
int rw_image_xz_decode(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
		       struct rw_err *err) __attribute__((warn_unused_result));
void rw_image_free(struct rw_image *img);

#endif /* ULVM_REWRITER_IMAGE_H */
