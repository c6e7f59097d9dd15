# vmm/local.mk - build rules for vmm (included from the top Makefile.am).
#
# libvmm.a holds the whole monitor but its main(), so that the unit runner
# links the same code; ulvm is main.c on top of it.
noinst_LIBRARIES += libvmm.a
libvmm_a_SOURCES = \
	vmm/boot.c vmm/boot.h \
	vmm/console.c vmm/console.h \
	vmm/cpu.c vmm/cpu.h \
	vmm/emul.c vmm/emul.h \
	vmm/hypercall.c vmm/hypercall.h \
	vmm/io.c vmm/io.h \
	vmm/irq.c vmm/irq.h \
	vmm/mem.c vmm/mem.h \
	vmm/netdev.c vmm/netdev.h guest-drivers/ulvmnet/ulvmnet_abi.h \
	vmm/paging.c vmm/paging.h \
	vmm/pic.c vmm/pic.h \
	vmm/pit.c vmm/pit.h \
	vmm/rtc.c vmm/rtc.h \
	vmm/sites.c vmm/sites.h \
	vmm/trap.c vmm/trap.h vmm/trap_priv.h \
	vmm/uart.c vmm/uart.h \
	vmm/util.c vmm/util.h \
	vmm/vm.c vmm/vm.h
libvmm_a_CFLAGS = $(AM_CFLAGS) $(CAPSTONE_CFLAGS)

bin_PROGRAMS += ulvm
ulvm_SOURCES = vmm/main.c
ulvm_CFLAGS = $(AM_CFLAGS) $(CAPSTONE_CFLAGS)
ulvm_LDADD = libvmm.a $(CAPSTONE_LIBS)

tests_unit_runner_SOURCES += tests/unit/vmm/test_vmm.c
tests_unit_runner_LDADD += libvmm.a $(CAPSTONE_LIBS)

VMM_INTEGRATION = \
	tests/integration/vmm-testkern/run.sh \
	tests/integration/vmm-badkernel/run.sh \
	tests/integration/vmm-console/run.sh \
	tests/integration/vmm-debian-early/run.sh \
	tests/integration/vmm-debian-init/run.sh \
	tests/integration/vmm-debian-busybox/run.sh
TESTS += $(VMM_INTEGRATION)
EXTRA_DIST += $(VMM_INTEGRATION) tests/bench/boot.sh
