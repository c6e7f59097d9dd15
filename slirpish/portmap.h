/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* portmap.h - -t/-u port maps: host listeners whose clients reach a guest port. */
#ifndef SLIRPISH_PORTMAP_H
#define SLIRPISH_PORTMAP_H

#include "slirpish/ctx.h"
#include "slirpish/util.h"

int portmap_open_all(struct ctx *c, const char **errmsg) __must_check;
void portmap_close_all(struct ctx *c);

#endif /* SLIRPISH_PORTMAP_H */
