# logmash - see README.md. `make demo` and `make test` set up a fresh
# Debian 12 machine themselves (apt-get as root, else they print the command).

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
DATADIR = $(PREFIX)/share/logmash
SYSTEMDDIR = $(PREFIX)/lib/systemd/system
DOCDIR = $(PREFIX)/share/doc/logmash

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = lua5.4 libcurl ncursesw panelw libsystemd libmicrohttpd libpcre2-8
PYTHON ?= /usr/bin/python3

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wpointer-arith
CFLAGS ?= -O2 -g
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(shell $(PKG_CONFIG) --cflags $(PKGS)) -Isrc -Iui
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
HEADERS = $(wildcard src/*.h) $(wildcard ui/*.h)
# AddressSanitizer (leaks included) and UBSan, for make asan and the fuzzers.
SAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm -pthread

# Debian packages the build needs (debian/control's Build-Depends are
# these, checked by make package-check), then those the tests, the package
# and the demo need.
BUILD_PACKAGES = build-essential pkg-config liblua5.4-dev libcurl4-openssl-dev libsystemd-dev libmicrohttpd-dev libpcre2-dev \
                 libncurses-dev libjsmn-dev
DEB_PACKAGES = $(BUILD_PACKAGES) lua5.4 prometheus \
               libcmocka-dev python3 python3-pytest python3-h2 python3-yaml openssl tmux ca-certificates logrotate nginx-light wrk nghttp2-client \
               clang libclang-rt-14-dev valgrind gdb cppcheck clang-tidy strace systemd-journal-remote \
               debhelper lintian fakeroot

SRC = $(wildcard src/*.c) $(wildcard ui/*.c)
# Objects (and the headers each includes, from -MMD) under build/obj, apart
# from the sources.
OBJ_DIR = build/obj
OBJ = $(SRC:%.c=$(OBJ_DIR)/%.o)
LIB_OBJ = $(filter-out $(OBJ_DIR)/src/main.o,$(OBJ))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:.c=)

.PHONY: all deps test check unit integration demo bench faults faults-check install uninstall clean asan fuzz fuzz-short \
	soak soak-short valgrind lint deb package-check

all: logmash

logmash: $(OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

$(OBJ_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJ:.o=.d)

# The example config names where the example scripts are installed.
$(OBJ_DIR)/src/settings_example.o: ALL_CFLAGS += -DLOGMASH_DATADIR='"$(DATADIR)"'

tests/unit/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka)

deps:
	@sh tests/install-deps.sh $(DEB_PACKAGES)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t; done

# The stand-in for a distant API (tests/remote): nginx in front of this.
REMOTE_BACKEND = tests/remote/backend
$(REMOTE_BACKEND): tests/remote/backend.c
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<

integration: logmash $(REMOTE_BACKEND)
	$(PYTHON) -m pytest -q tests/integration

# make test: the packages (apt-get), then every test. make check: every
# test, installing nothing (for machines whose packages are managed apart).
test: deps
	$(MAKE) check

check:
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) fuzz-short
	$(MAKE) integration
	$(MAKE) faults-check
	$(MAKE) soak-short
	$(MAKE) package-check

demo: deps
	$(MAKE) all
	sh tests/demo.sh

bench: deps
	$(MAKE) all $(REMOTE_BACKEND)
	$(PYTHON) tests/bench.py $(BENCH_ARGS)

# System calls failing under logmash (strace's fault injection), about
# 90 s: make test runs the matrix; make faults also writes its table into
# docs/operations.md.
faults: deps
	$(MAKE) all
	$(PYTHON) tests/faults/faults.py --table docs/operations.md

faults-check: logmash
	$(PYTHON) tests/faults/faults.py

# Static analysis of src/ and ui/, each tool clean: gcc -fanalyzer,
# cppcheck (inline suppressions, each with its reason), clang-tidy (checks
# and the reasons for those turned off in .clang-tidy).
LINT_SRC = $(SRC)
lint:
	@set -e; for f in $(LINT_SRC); do \
		gcc $(BASE_CFLAGS) -O1 -fanalyzer -c -o /dev/null $$f; done
	cppcheck --enable=style,warning,performance,portability --std=c11 -D_GNU_SOURCE \
		-Isrc -Iui --inline-suppr --quiet --error-exitcode=1 src ui
	clang-tidy --quiet $(LINT_SRC) -- $(BASE_CFLAGS) 2>/dev/null
	@echo "lint: gcc -fanalyzer, cppcheck and clang-tidy found nothing"

# The chaos soak (tests/soak.py): SOAK_SECONDS of random rotations, API
# faults and SIGKILLs, then every line must have arrived.
SOAK_SECONDS ?= 600
soak: deps
	$(MAKE) all
	$(PYTHON) tests/soak.py --seconds $(SOAK_SECONDS)

soak-short: logmash
	$(PYTHON) tests/soak.py --seconds 60

# The integration tests with logmash under valgrind's memcheck, once by hand
# (20 to 50 times slower: tests bound by time may fail, and say nothing
# about memory). The verdict is memcheck's: any error or leak in any run.
VALGRIND_LOGS = build/valgrind
valgrind: deps logmash
	rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	-LOGMASH_VALGRIND_LOGS=$(CURDIR)/$(VALGRIND_LOGS) LOGMASH_BIN=$(CURDIR)/tests/valgrind/memcheck.sh \
		$(PYTHON) -m pytest -q tests/integration
	sh tests/valgrind/check.sh $(VALGRIND_LOGS)

# The same binary with AddressSanitizer (leaks included) and UBSan, through
# the same tests. A sanitizer report exits 86, which no test expects.
SAN_ENV = ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0 \
          LSAN_OPTIONS=exitcode=86:suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
asan:
	$(MAKE) clean
	$(SAN_ENV) $(MAKE) all unit CFLAGS="$(SAN_CFLAGS)"
	$(SAN_ENV) $(MAKE) integration
	$(MAKE) clean

# libFuzzer targets (tests/fuzz, see its README) with ASan and UBSan, built
# apart in build/fuzz. `make fuzz` runs each for FUZZ_SECONDS; `make test`
# runs each briefly, which first replays every kept input, past crashes too.
FUZZ_CC = clang
FUZZ_CFLAGS = $(BASE_CFLAGS) $(SAN_CFLAGS)
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ = $(patsubst %.c,build/fuzz/%.o,$(filter-out src/main.c,$(SRC)))
FUZZ_BIN = $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60

build/fuzz/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz: deps
	$(MAKE) $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-short: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh 10 $(FUZZ_TARGETS)

install: logmash
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DATADIR)/scripts \
		$(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(DOCDIR)/docs
	install -m 755 logmash $(DESTDIR)$(BINDIR)/logmash
	sed 's|/usr/share/logmash|$(DATADIR)|g; s|/usr/share/doc/logmash|$(DOCDIR)|g' packaging/logmash.1 \
		> $(DESTDIR)$(MANDIR)/logmash.1
	chmod 644 $(DESTDIR)$(MANDIR)/logmash.1
	install -m 644 scripts/*.lua $(DESTDIR)$(DATADIR)/scripts/
	install -m 644 README.md HACKING.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	./logmash example-config > $(DESTDIR)$(DATADIR)/config.lua.example
	chmod 644 $(DESTDIR)$(DATADIR)/config.lua.example
	sed 's|@BINDIR@|$(BINDIR)|g; s|@DATADIR@|$(DATADIR)|g' packaging/logmash.service \
		> $(DESTDIR)$(SYSTEMDDIR)/logmash.service
	chmod 644 $(DESTDIR)$(SYSTEMDDIR)/logmash.service

# The Debian package, built by debhelper from a copy of the tree (so that
# the build leaves nothing here) into dist/; its version is --version's.
VERSION = $(shell sed -n 's/^\#define LOGMASH_VERSION "\(.*\)"/\1/p' src/util.h)
deb:
	sh packaging/deb-build.sh $(VERSION)

# Builds, lints, installs, verifies, removes and purges the package (as
# root, with dpkg; it installs into this machine). make test runs it where
# the tools are; CI installs them (make deps).
package-check:
	@if [ "$$(id -u)" != 0 ] || ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null; then \
		echo "package-check: skipped (needs root, dpkg-buildpackage and lintian: make deps as root)"; \
	else sh tests/package/check.sh $(VERSION) "$(BUILD_PACKAGES)"; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/logmash $(DESTDIR)$(MANDIR)/logmash.1 \
		$(DESTDIR)$(SYSTEMDDIR)/logmash.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -f logmash src/*.o ui/*.o $(UNIT_BIN) $(REMOTE_BACKEND)
	rm -rf build dist
	rm -rf tests/integration/__pycache__ .pytest_cache tests/.pytest_cache
