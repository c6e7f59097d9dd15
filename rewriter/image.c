// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* image.c - reading a kernel as shipped: bzImage detection and XZ payload decompression. */

/*
 * Theory of operation
 *
 * A bzImage starts with the real-mode setup sectors; the boot-protocol
 * header at 0x1f1 says how many ("setup_sects"), carries "HdrS" at 0x202
 * and, from protocol 2.08 on, the offset and length of the compressed
 * payload relative to the protected-mode code (0x248, 0x24c).  We trust
 * those fields only after bounds checks, and confirm the payload by its
 * magic; if the header's offset does not hold a known magic we look for
 * the XZ magic instead.  Only XZ is decoded (Debian's choice); other
 * compressions are named in the error.  The result must be an ELF.
 */

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rewriter/image.h"

static const uint8_t rw_xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

/**
 * rw_file_read() - read a whole file into memory
 * @path:	file name
 * @buf:	set to a malloc'ed buffer on success
 * @len:	set to its length
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
int rw_file_read(const char *path, uint8_t **buf, size_t *len, struct rw_err *err)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rw_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rw_err_set(err, -EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > RW_IMAGE_MAX) {
		close(fd);
		return rw_err_set(err, -EFBIG, "%s: too large for a kernel image", path);
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		close(fd);
		return rw_err_set(err, -ENOMEM, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			free(b);
			close(fd);
			return rw_err_set(err, -e, "%s: read failed: %s", path, strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

/**
 * rw_file_write() - write a buffer to a new file (replacing it)
 * @path:	file name
 * @buf:	bytes
 * @len:	their number
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
int rw_file_write(const char *path, const uint8_t *buf, size_t len, struct rw_err *err)
{
	size_t done = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rw_err_set(err, -errno, "%s: cannot create: %s", path, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return rw_err_set(err, -e, "%s: write failed: %s", path, strerror(e));
		}
		done += (size_t)n;
	}
	if (close(fd) < 0)
		return rw_err_set(err, -errno, "%s: close failed: %s", path, strerror(errno));
	return 0;
}

/**
 * rw_image_xz_decode() - decompress one XZ stream
 * @in:		compressed bytes (trailing bytes after the stream are ignored)
 * @in_len:	their number
 * @out:	set to a malloc'ed buffer with the result
 * @out_len:	set to its length
 * @err:	error report
 *
 * Return: 0 or -errno (-EBADMSG for corrupt or truncated data).
 */
int rw_image_xz_decode(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
		       struct rw_err *err)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	size_t cap = in_len * 4 + 4096;
	uint8_t *buf;
	lzma_ret r;

	if (cap > RW_IMAGE_MAX)
		cap = RW_IMAGE_MAX;
	if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK)
		return rw_err_set(err, -ENOMEM, "cannot initialise the XZ decoder");
	buf = malloc(cap);
	if (!buf) {
		lzma_end(&strm);
		return rw_err_set(err, -ENOMEM, "out of memory for the decompressed kernel");
	}
	strm.next_in = in;
	strm.avail_in = in_len;
	strm.next_out = buf;
	strm.avail_out = cap;
	for (;;) {
		r = lzma_code(&strm, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_OK && strm.avail_out == 0) {
			size_t used = cap;
			uint8_t *nb;

			if (cap >= RW_IMAGE_MAX) {
				r = LZMA_MEMLIMIT_ERROR;
				goto fail;
			}
			cap = cap * 2 > RW_IMAGE_MAX ? RW_IMAGE_MAX : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = LZMA_MEM_ERROR;
				goto fail;
			}
			buf = nb;
			strm.next_out = buf + used;
			strm.avail_out = cap - used;
			continue;
		}
		goto fail;
	}
	*out_len = cap - strm.avail_out;
	*out = buf;
	lzma_end(&strm);
	return 0;
fail:
	lzma_end(&strm);
	free(buf);
	switch (r) {
	case LZMA_MEM_ERROR:
		return rw_err_set(err, -ENOMEM, "out of memory while decompressing the kernel");
	case LZMA_MEMLIMIT_ERROR:
		return rw_err_set(err, -EFBIG, "decompressed kernel larger than %u MiB",
				  RW_IMAGE_MAX >> 20);
	case LZMA_OK:
	case LZMA_BUF_ERROR:
		return rw_err_set(err, -EBADMSG, "XZ payload is truncated");
	default:
		return rw_err_set(err, -EBADMSG, "XZ payload is corrupt (liblzma error %d)", (int)r);
	}
}

static uint32_t rw_image_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/**
 * rw_image_compression() - name a compressed payload by its magic
 * @p:		payload start
 * @len:	bytes available
 *
 * Return: a static name, or NULL if unknown.
 */
static const char *rw_image_compression(const uint8_t *p, size_t len)
{
	if (len >= 6 && !memcmp(p, rw_xz_magic, 6))
		return "xz";
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "gzip";
	if (len >= 4 && rw_image_le32(p) == 0x184c2102)
		return "lz4";
	if (len >= 4 && rw_image_le32(p) == 0xfd2fb528)
		return "zstd";
	if (len >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h')
		return "bzip2";
	if (len >= 3 && p[0] == 0x89 && p[1] == 'L' && p[2] == 'Z')
		return "lzo";
	if (len >= 3 && p[0] == 0x5d && p[1] == 0 && p[2] == 0)
		return "lzma";
	return NULL;
}

/**
 * rw_image_bzimage() - decompress the payload of a bzImage
 * @img:	filled in on success
 * @buf:	the bzImage
 * @len:	its length
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
static int rw_image_bzimage(struct rw_image *img, const uint8_t *buf, size_t len,
			    struct rw_err *err)
{
	size_t setup, off = 0, plen = 0, i;
	const char *comp = NULL;
	uint8_t *out;
	size_t out_len;
	int ret;

	img->boot_proto = buf[0x206] | buf[0x207] << 8;
	setup = buf[0x1f1] ? buf[0x1f1] : 4;
	setup = (setup + 1) * 512;
	if (setup >= len)
		return rw_err_set(err, -EBADMSG, "bzImage truncated: setup code ends at %zu, file has %zu bytes",
				  setup, len);
	if (img->boot_proto >= 0x208 && len >= 0x250) {
		off = setup + rw_image_le32(buf + 0x248);
		plen = rw_image_le32(buf + 0x24c);
		if (off < len)
			comp = rw_image_compression(buf + off, len - off);
	}
	if (!comp || strcmp(comp, "xz")) {
		/* No usable header field: find the XZ magic after the setup code. */
		for (i = setup; i + 6 <= len; i++)
			if (!memcmp(buf + i, rw_xz_magic, 6))
				break;
		if (i + 6 > len) {
			if (comp)
				return rw_err_set(err, -ENOTSUP,
						  "bzImage payload is %s-compressed; only xz is supported",
						  comp);
			return rw_err_set(err, -EBADMSG, "bzImage holds no XZ payload");
		}
		off = i;
		plen = len - i;
	}
	if (off + plen > len || plen == 0)
		return rw_err_set(err, -EBADMSG, "bzImage truncated: payload of %zu bytes at %zu, file has %zu",
				  plen, off, len);
	ret = rw_image_xz_decode(buf + off, plen, &out, &out_len, err);
	if (ret)
		return ret;
	if (out_len < 4 || memcmp(out, "\177ELF", 4)) {
		free(out);
		return rw_err_set(err, -EBADMSG, "bzImage payload does not decompress to an ELF");
	}
	img->elf = out;
	img->len = out_len;
	img->bzimage = 1;
	img->payload_off = off;
	return 0;
}

/**
 * rw_image_load() - turn a kernel file's bytes into the ELF to rewrite
 * @img:	filled in on success (free with rw_image_free())
 * @buf:	the file's bytes (a bzImage or an ELF)
 * @len:	their number
 * @err:	error report
 *
 * Return: 0 or -errno; -ENOEXEC when the bytes are no kernel at all.
 */
int rw_image_load(struct rw_image *img, const uint8_t *buf, size_t len, struct rw_err *err)
{
	memset(img, 0, sizeof(*img));
	if (len >= 4 && !memcmp(buf, "\177ELF", 4)) {
		img->elf = malloc(len);
		if (!img->elf)
			return rw_err_set(err, -ENOMEM, "out of memory");
		memcpy(img->elf, buf, len);
		img->len = len;
		return 0;
	}
	if (len >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4)) {
		if (len < 0x250)
			return rw_err_set(err, -EBADMSG, "bzImage truncated inside its boot header");
		return rw_image_bzimage(img, buf, len, err);
	}
	return rw_err_set(err, -ENOEXEC, "not a kernel image: neither an ELF nor a bzImage");
}

/**
 * rw_image_free() - release what rw_image_load() allocated
 * @img:	the image
 */
void rw_image_free(struct rw_image *img)
{
	free(img->elf);
	memset(img, 0, sizeof(*img));
}
