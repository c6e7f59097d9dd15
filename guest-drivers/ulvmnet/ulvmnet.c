// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/*
 * ulvmnet.c - Linux driver for ulvm's paravirtual network device.
 *
 * The device (ulvmnet_abi.h) copies whole frames to and from guest
 * physical memory when the driver writes an address to a port: transmit
 * hands the linear data of each skb, receive copies each waiting frame
 * into a fresh skb from the interrupt handler.  No rings, no DMA mapping:
 * the monitor reads the kernel's memory directly, so virt_to_phys() of
 * linear-map memory is all a transfer needs.
 *
 * The driver uses no local_irq_save()/restore(): the monitor runs this
 * module's code as it is (it is not rewritten like the kernel image), and
 * pushf/popf would see and set the host's flags rather than the virtual
 * CPU's.  The build checks the object for them.
 */

#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/netdevice.h>

#include "ulvmnet_abi.h"

/**
 * struct ulvmnet - the driver's view of the device
 * @base:	first I/O port
 * @irq:	interrupt line
 */
struct ulvmnet {
	unsigned long base;
	unsigned int irq;
};

static struct net_device *ulvmnet_dev;

static u32 ulvmnet_rd(const struct ulvmnet *u, unsigned int reg)
{
	return inl(u->base + reg);
}

static void ulvmnet_wr(const struct ulvmnet *u, unsigned int reg, u32 val)
{
	outl(val, u->base + reg);
}

/* ulvmnet_xmit() - hand one frame to the device: it is copied at once (two port writes). */
static netdev_tx_t ulvmnet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ulvmnet *u = netdev_priv(dev);

	if (skb_linearize(skb) || skb->len < ULVMNET_FRAME_MIN ||
	    skb->len > dev->mtu + ULVMNET_HDR_LEN) {
		dev->stats.tx_dropped++;
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	ulvmnet_wr(u, ULVMNET_REG_TX_ADDR, (u32)virt_to_phys(skb->data));
	ulvmnet_wr(u, ULVMNET_REG_TX_LEN, skb->len);
	/* Frames the host side could not take are counted by the device
	 * (TX_DROPS), as a wire would lose them. */
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += skb->len;
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
}

/* ulvmnet_rx_one() - take the waiting frame of @len bytes into a new skb. */
static void ulvmnet_rx_one(struct net_device *dev, struct ulvmnet *u, u32 len)
{
	struct sk_buff *skb;

	if (len < ULVMNET_FRAME_MIN || len > dev->mtu + ULVMNET_HDR_LEN) {
		ulvmnet_wr(u, ULVMNET_REG_RX_ADDR, 0);
		dev->stats.rx_length_errors++;
		return;
	}
	skb = netdev_alloc_skb_ip_align(dev, len);
	if (!skb) {
		ulvmnet_wr(u, ULVMNET_REG_RX_ADDR, 0);
		dev->stats.rx_dropped++;
		return;
	}
	ulvmnet_wr(u, ULVMNET_REG_RX_ADDR, (u32)virt_to_phys(skb_put(skb, len)));
	skb->protocol = eth_type_trans(skb, dev);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
	netif_rx(skb);
}

/* ulvmnet_interrupt() - drain every waiting frame. */
static irqreturn_t ulvmnet_interrupt(int irq, void *opaque)
{
	struct net_device *dev = opaque;
	struct ulvmnet *u = netdev_priv(dev);
	unsigned int n = 0;
	u32 len;

	while ((len = ulvmnet_rd(u, ULVMNET_REG_RX_LEN)) != 0) {
		ulvmnet_rx_one(dev, u, len);
		n++;
	}
	return n ? IRQ_HANDLED : IRQ_NONE;
}

static void ulvmnet_carrier(struct net_device *dev, const struct ulvmnet *u)
{
	if (ulvmnet_rd(u, ULVMNET_REG_STATUS) & ULVMNET_STATUS_LINK)
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
}

static int ulvmnet_open(struct net_device *dev)
{
	struct ulvmnet *u = netdev_priv(dev);

	ulvmnet_carrier(dev, u);
	ulvmnet_wr(u, ULVMNET_REG_CTRL, ULVMNET_CTRL_RX_IRQ);
	netif_start_queue(dev);
	return 0;
}

static int ulvmnet_stop(struct net_device *dev)
{
	struct ulvmnet *u = netdev_priv(dev);

	netif_stop_queue(dev);
	ulvmnet_wr(u, ULVMNET_REG_CTRL, 0);
	return 0;
}

static const struct net_device_ops ulvmnet_ops = {
	.ndo_open = ulvmnet_open,
	.ndo_stop = ulvmnet_stop,
	.ndo_start_xmit = ulvmnet_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* ulvmnet_setup() - read the device's identity into a new net_device. */
static int ulvmnet_setup(struct net_device *dev, struct ulvmnet *u)
{
	u32 lo = ulvmnet_rd(u, ULVMNET_REG_MAC_LO), hi = ulvmnet_rd(u, ULVMNET_REG_MAC_HI);
	u8 mac[ETH_ALEN] = { lo, lo >> 8, lo >> 16, lo >> 24, hi, hi >> 8 };
	u32 mtu = ulvmnet_rd(u, ULVMNET_REG_MTU);

	if (!is_valid_ether_addr(mac) || mtu < ETH_MIN_MTU || mtu > 65535)
		return -EINVAL;
	eth_hw_addr_set(dev, mac);
	dev->netdev_ops = &ulvmnet_ops;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = mtu;
	dev->mtu = min_t(u32, mtu, ETH_DATA_LEN);
	u->irq = ulvmnet_rd(u, ULVMNET_REG_IRQ);
	return u->irq < 16 ? 0 : -EINVAL;
}

static int __init ulvmnet_init(void)
{
	struct net_device *dev;
	struct ulvmnet *u;
	int rc;

	if (!request_region(ULVMNET_PORT_BASE, ULVMNET_PORT_COUNT, "ulvmnet"))
		return -EBUSY;
	if (inl(ULVMNET_PORT_BASE + ULVMNET_REG_MAGIC) != ULVMNET_MAGIC ||
	    inl(ULVMNET_PORT_BASE + ULVMNET_REG_VERSION) != ULVMNET_VERSION) {
		rc = -ENODEV;
		goto out_region;
	}
	dev = alloc_etherdev(sizeof(*u));
	if (!dev) {
		rc = -ENOMEM;
		goto out_region;
	}
	u = netdev_priv(dev);
	u->base = ULVMNET_PORT_BASE;
	rc = ulvmnet_setup(dev, u);
	if (rc)
		goto out_free;
	rc = request_irq(u->irq, ulvmnet_interrupt, 0, "ulvmnet", dev);
	if (rc)
		goto out_free;
	rc = register_netdev(dev);
	if (rc)
		goto out_irq;
	ulvmnet_dev = dev;
	netdev_info(dev, "ulvm paravirtual network, ports %#lx irq %u mac %pM\n",
		    u->base, u->irq, dev->dev_addr);
	return 0;

out_irq:
	free_irq(u->irq, dev);
out_free:
	free_netdev(dev);
out_region:
	release_region(ULVMNET_PORT_BASE, ULVMNET_PORT_COUNT);
	return rc;
}

static void __exit ulvmnet_exit(void)
{
	struct ulvmnet *u = netdev_priv(ulvmnet_dev);

	unregister_netdev(ulvmnet_dev);
	free_irq(u->irq, ulvmnet_dev);
	free_netdev(ulvmnet_dev);
	release_region(ULVMNET_PORT_BASE, ULVMNET_PORT_COUNT);
}

module_init(ulvmnet_init);
module_exit(ulvmnet_exit);
MODULE_DESCRIPTION("ulvm paravirtual network device");
MODULE_AUTHOR("The ulvm authors");
MODULE_LICENSE("GPL");
