# tests/unit/local.mk - the one Check runner that holds every unit suite.
#
# Each part appends its test sources and libraries to
# tests_unit_runner_SOURCES / tests_unit_runner_LDADD in its own local.mk and
# names its suite in tests/unit/suites.h.
check_PROGRAMS += tests/unit/runner
TESTS += tests/unit/runner
tests_unit_runner_SOURCES = tests/unit/runner.c tests/unit/suites.h
tests_unit_runner_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_runner_LDADD = $(CHECK_LIBS)
