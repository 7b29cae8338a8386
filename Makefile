# pesleuth — `make` builds build/pesleuth and build/libpesleuth.a, `make check` installs what
# is missing, builds and runs every test, `make bench` runs the benchmarks.
#
# Variables: BUILD (output dir), OPT (optimisation), SAN (sanitizer flags), CC.

CC    ?= cc
BUILD ?= build
OPT   ?= -O2 -g
SAN   ?=

WARN   = -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wno-missing-field-initializers
# The shipped rule pack and IOC feeds (the CLI loads them unless --no-default-rules).
RULES_DIR ?= $(CURDIR)/rules
CPPFLAGS_ALL = -Iinclude -iquote lib -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -DPS_RULES_DIR='"$(RULES_DIR)"'
CFLAGS_ALL = -std=c11 $(WARN) $(OPT) $(SAN) $(CFLAGS)
LDLIBS_ALL = -lyara -lsqlite3 -lcrypto -ljansson -lm -pthread $(LDLIBS)

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
LIB      := $(BUILD)/libpesleuth.a
BIN      := $(BUILD)/pesleuth

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))
TEST_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SUPPORT))

FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
REPLAY_BIN := $(patsubst fuzz/%.c,$(BUILD)/replay/%,$(FUZZ_SRC))

.PHONY: all check check-asan check-tests deps samples fuzz fuzz-run bench clean
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

CLI_SRC  := $(sort $(wildcard cli/*.c))
CLI_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

# Unit and integration tests (cmocka), each a program.
$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -iquote tests/support $(CFLAGS_ALL) -MMD -MP -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) -lcmocka $(LDLIBS_ALL)

$(BUILD)/tests/support/%.o: tests/support/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -iquote tests/support $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# Fuzz harnesses replayed without libFuzzer (every seed and every past crash), by make check.
$(BUILD)/replay/%: fuzz/%.c fuzz/replay_main.c fuzz/harness.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< fuzz/replay_main.c $(LIB) $(LDLIBS_ALL)

deps:
	@scripts/install-deps.sh

# Everything make check runs, without the dependency step (used by check-asan as well).
check-tests: $(BIN) $(TEST_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) tests/run.sh

check: deps
	@$(MAKE) --no-print-directory check-tests

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs it).
check-asan: deps
	@$(MAKE) --no-print-directory check-tests BUILD=build-asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

samples: $(BIN)
	@scripts/make-samples.sh $(BUILD)/samples

# libFuzzer builds (clang) and short runs.
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/fuzz.sh build
fuzz-run:
	@scripts/fuzz.sh run $(FUZZ_SECONDS)

bench: $(BIN)
	@bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
