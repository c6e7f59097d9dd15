/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/*
 * ulvmnet_abi.h - the ulvmnet paravirtual network device, as the guest
 * driver (guest-drivers/ulvmnet/ulvmnet.c) and the monitor (vmm/netdev.c)
 * both see it.  Plain defines only: included by a Linux module and by the
 * monitor alike.
 *
 * The device is a block of 32-bit I/O ports and one ISA interrupt line.
 * Frames are copied by the monitor to and from guest physical memory, one
 * frame per transfer, so a frame must lie in guest RAM in one piece (the
 * guest driver hands linear skb data, in the kernel's linear map).
 *
 * Transmit: write the frame's guest-physical address to TX_ADDR, then its
 * length to TX_LEN: the write of TX_LEN sends it (or counts it in
 * TX_DROPS when the link is down or the host side is full).
 *
 * Receive: the interrupt line is raised while a frame waits (and CTRL_RX_IRQ
 * is set).  RX_LEN reads the length of the waiting frame (0: none); writing
 * a guest-physical address to RX_ADDR copies that frame there and drops it
 * from the queue; writing 0 drops it uncopied.  A driver reads RX_LEN until
 * it is 0 in its interrupt handler.
 */
#ifndef ULVMNET_ABI_H
#define ULVMNET_ABI_H

#define ULVMNET_PORT_BASE	0x6e0
#define ULVMNET_PORT_COUNT	0x40
#define ULVMNET_MAGIC		0x4e564c55u	/* "ULVN" */
#define ULVMNET_VERSION		1

/* Register offsets from ULVMNET_PORT_BASE, all 32-bit. */
#define ULVMNET_REG_MAGIC	0x00	/* R: ULVMNET_MAGIC */
#define ULVMNET_REG_VERSION	0x04	/* R: ULVMNET_VERSION */
#define ULVMNET_REG_MAC_LO	0x08	/* R: MAC bytes 0..3, byte 0 lowest */
#define ULVMNET_REG_MAC_HI	0x0c	/* R: MAC bytes 4..5 */
#define ULVMNET_REG_IRQ		0x10	/* R: the ISA interrupt line */
#define ULVMNET_REG_MTU		0x14	/* R: largest frame payload (L3 bytes) */
#define ULVMNET_REG_STATUS	0x18	/* R: ULVMNET_STATUS_* */
#define ULVMNET_REG_CTRL	0x1c	/* RW: ULVMNET_CTRL_* */
#define ULVMNET_REG_TX_ADDR	0x20	/* W: guest-physical address of the next frame */
#define ULVMNET_REG_TX_LEN	0x24	/* W: its length; sends it */
#define ULVMNET_REG_RX_LEN	0x28	/* R: length of the waiting frame, 0 if none */
#define ULVMNET_REG_RX_ADDR	0x2c	/* W: copy the waiting frame there (0: drop it) */
#define ULVMNET_REG_TX_DROPS	0x30	/* R: frames the device could not send */
#define ULVMNET_REG_RX_DROPS	0x34	/* R: frames the device had to drop */

#define ULVMNET_STATUS_LINK	0x1	/* connected to the network daemon */
#define ULVMNET_STATUS_RX	0x2	/* a frame waits */

#define ULVMNET_CTRL_RX_IRQ	0x1	/* interrupt while a frame waits */

#define ULVMNET_FRAME_MIN	14	/* an Ethernet header */
#define ULVMNET_HDR_LEN		18	/* header room above the MTU: Ethernet + VLAN tag */

#endif /* ULVMNET_ABI_H */
