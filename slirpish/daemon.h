/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* daemon.h - bring the whole daemon up on a libev loop, and take it down again. */
#ifndef SLIRPISH_DAEMON_H
#define SLIRPISH_DAEMON_H

#include "slirpish/ctx.h"
#include "slirpish/util.h"

int daemon_init(struct ctx *c, const struct conf *conf, struct ev_loop *loop) __must_check;
void daemon_fini(struct ctx *c);

#endif /* SLIRPISH_DAEMON_H */
