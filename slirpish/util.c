// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* util.c - small system helpers shared by slirpish files. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>

#include "slirpish/util.h"

/**
 * fd_set_nonblock() - put a file descriptor in non-blocking mode
 * @fd:		file descriptor
 *
 * Return: 0, or -errno.
 */
int fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}
