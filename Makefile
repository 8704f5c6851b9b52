# loopstall: `make` builds build/loopstall, `make test` runs every test.
# Both install missing Debian packages first (tools/install-deps.sh).

BUILD := build
CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH := x86

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iuser -Ibpf -I$(BUILD)
DEPFLAGS = -MMD -MP
LDLIBS := -lbpf -lelf -lz -ldw -lpthread -lm -lmicrohttpd -lncursesw -lstdc++
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -Wall -Werror

# Every .c under user/, one folder per stage of the data flow (README: How it works).
USER_SRCS := $(filter-out user/cli/main.c,$(shell find user -name '*.c' | sort))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps test unit layers e2e bench demo clean format

all: deps $(BUILD)/loopstall

# Installs what building and testing need, only when something is missing.
deps:
	@bash tools/install-deps.sh

$(BUILD)/.dirs:
	mkdir -p $(BUILD)/obj $(BUILD)/tests && touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/.dirs
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/loopstall.bpf.o: bpf/loopstall.bpf.c bpf/loopstall.h $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/loopstall.skel.h: $(BUILD)/loopstall.bpf.o
	$(BPFTOOL) gen skeleton $< name loopstall_bpf > $@.tmp && mv $@.tmp $@

# Syscall names for this architecture, from the kernel's uapi header.
$(BUILD)/syscall_table.h: /usr/include/x86_64-linux-gnu/asm/unistd_64.h | $(BUILD)/.dirs
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' $< > $@.tmp && mv $@.tmp $@

GENERATED := $(BUILD)/loopstall.skel.h $(BUILD)/syscall_table.h

# Header dependencies come from the compiler (-MMD): an object rebuilds when a header it includes changes.
$(BUILD)/obj/%.o: user/%.c $(GENERATED) | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

-include $(USER_OBJS:.o=.d) $(BUILD)/obj/cli/main.d

$(BUILD)/libloopstall.a: $(USER_OBJS)
	ar rcs $@ $^

$(BUILD)/loopstall: $(BUILD)/obj/cli/main.o $(BUILD)/libloopstall.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libloopstall.a
	$(CC) $(CFLAGS) $< $(BUILD)/libloopstall.a $$(pkg-config --cflags --libs check) $(LDLIBS) $(TEST_LDFLAGS) -o $@

# Fails allocations on purpose to count what a failure path leaves behind.
$(BUILD)/tests/test_targets: TEST_LDFLAGS := -Wl,--wrap=realloc -Wl,--wrap=free

unit: deps $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Each folder of user/ includes only itself and the folders below it, and no includes go round in a circle.
layers: $(BUILD)/libloopstall.a $(BUILD)/obj/cli/main.o
	/usr/bin/python3 tools/check-layers.py $(BUILD)/obj

e2e: deps $(BUILD)/loopstall
	cd tests/e2e && python3 -m pytest -v -p no:cacheprovider .

# Debian's python3 (with pytest, fastapi, ...), not a pyenv one first on PATH.
test: export PATH := /usr/bin:/usr/sbin:/bin:/sbin:$(PATH)
test: layers unit e2e

# The benchmark's own helpers: a timed hot path, and empty programs on loopstall's tracepoints.
$(BUILD)/bench_hotpath: tools/bench_hotpath.c | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $< -lpthread -o $@

$(BUILD)/bench_floor.bpf.o: tools/bench_floor.bpf.c $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench_floor: tools/bench_floor.c | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $< -lbpf -o $@

bench: deps $(BUILD)/loopstall $(BUILD)/bench_hotpath $(BUILD)/bench_floor $(BUILD)/bench_floor.bpf.o
	/usr/bin/python3 tools/bench.py

format:
	clang-format -i bpf/*.c bpf/*.h $$(find user -name '*.[ch]') tests/unit/*.c

clean:
	rm -rf $(BUILD)

# The FastAPI case, live (README's first command).
demo: deps $(BUILD)/loopstall
	bash tools/demo.sh
