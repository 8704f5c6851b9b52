# loopstall: `make` builds build/loopstall, `make test` runs every test.
# Both install missing Debian packages first (tools/install-deps.sh).

BUILD := build
CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH := x86

# SANITIZE: extra compile and link flags, set by the sanitizer build (make sanitized).
SANITIZE ?=
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iuser -Ibpf -I$(BUILD) $(SANITIZE)
DEPFLAGS = -MMD -MP
LDLIBS := -lbpf -lelf -lz -ljansson -ldw -lpthread -lm -lmicrohttpd -lncursesw -liberty
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -Wall -Werror

# Every .c under user/, one folder per stage of the data flow (user/README.md).
USER_SRCS := $(filter-out user/cli/main.c,$(shell find user -name '*.c' | sort))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all arm64-check deps test unit unit-bins layers fuzz fuzz-short sanitized e2e bench demo clean format install deb FORCE

all: deps $(BUILD)/loopstall $(BUILD)/loopstall.8 arm64-check

# Installs what building and testing need, only when something is missing.
deps:
	@bash tools/install-deps.sh

# Every build starts by installing what is missing (a fresh machine has no bpftool, clang, ...).
$(BUILD)/.dirs: | deps
	mkdir -p $(BUILD)/obj $(BUILD)/tests && touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/.dirs
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/loopstall.bpf.o: bpf/loopstall.bpf.c bpf/loopstall.h bpf/arch/x86_64.h $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/loopstall.skel.h: $(BUILD)/loopstall.bpf.o
	$(BPFTOOL) gen skeleton $< name loopstall_bpf > $@.tmp && mv $@.tmp $@

# Syscall names for this architecture, from the kernel's uapi header.
$(BUILD)/syscall_table.h: /usr/include/x86_64-linux-gnu/asm/unistd_64.h | $(BUILD)/.dirs
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' $< > $@.tmp && mv $@.tmp $@

# The hint rules (record/hints.rules), checked and turned into a C table.
$(BUILD)/hint_rules.h: user/record/hints.rules tools/gen-hints.py | $(BUILD)/.dirs
	/usr/bin/python3 tools/gen-hints.py $< $@.tmp && mv $@.tmp $@

# arm64: user space compiled (not linked) with Debian's cross compiler, a check that a port is
# bpf/arch/ and user/base/arch.h; arm64's syscall names from the generic table it uses.
ARM64_CC := aarch64-linux-gnu-gcc
$(BUILD)/arm64/syscall_table.h: /usr/aarch64-linux-gnu/include/asm-generic/unistd.h | $(BUILD)/.dirs
	mkdir -p $(@D)
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' $< | awk -F'[][]' '!seen[$$2]++' > $@.tmp && mv $@.tmp $@

GENERATED := $(BUILD)/loopstall.skel.h $(BUILD)/syscall_table.h
# Only hint.c includes the rules' table: a new rule rebuilds it alone.
$(BUILD)/obj/record/hint.o: $(BUILD)/hint_rules.h

# loopstall --version: the version and the commit it was built from, rewritten only when they change.
VERSION := 0.1.0
GIT_COMMIT := $(shell git -C $(CURDIR) rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell \
	git -C $(CURDIR) diff --quiet HEAD -- 2>/dev/null || echo -dirty)
$(BUILD)/version.h: FORCE | $(BUILD)/.dirs
	@printf '#define LOOPSTALL_VERSION "%s"\n#define LOOPSTALL_COMMIT "%s"\n' '$(VERSION)' '$(GIT_COMMIT)' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
$(BUILD)/obj/cli/main.o: $(BUILD)/version.h

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

unit-bins: $(UNIT_BINS)
unit: deps $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Each folder of user/ includes only itself and the folders below it, and no includes go round in a circle.
layers: $(BUILD)/libloopstall.a $(BUILD)/obj/cli/main.o
	/usr/bin/python3 tools/check-layers.py $(BUILD)/obj

e2e: deps $(BUILD)/loopstall
	cd tests/e2e && python3 -m pytest -v -p no:cacheprovider .

# libFuzzer harnesses (tests/fuzz/) for every parser of what targets control, each built with
# clang from the sources it exercises, with ASan and UBSan.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -Iuser -Ibpf -I$(BUILD)
FUZZERS := perf_map proc_maps python proc_files cli escape v8 jvm methods record container elf
fuzz_perf_map_SRCS := user/symbols/perf_map.c user/symbols/jit_map.c user/base/proc.c user/base/duration.c
fuzz_proc_maps_SRCS := user/base/proc.c
fuzz_python_SRCS := user/base/target_memory.c $(addprefix user/runtimes/python/,layouts.c strings.c lines.c tstate.c task.c gil.c stack.c request.c thread_name.c objects.c code_cache.c)
fuzz_proc_files_SRCS := user/attrib/cgroup_cpu.c user/attrib/cgroup_file.c user/attrib/fd_describe.c
fuzz_container_SRCS := user/attrib/container.c user/attrib/cgroup_file.c user/record/container.c
fuzz_cli_SRCS := user/cli/options.c user/cli/option_table.c user/base/duration.c
fuzz_escape_SRCS := user/base/escape.c
fuzz_v8_SRCS := user/base/target_memory.c user/runtimes/node/v8_frames.c user/runtimes/node/js_api.c
fuzz_jvm_SRCS := user/base/target_memory.c user/runtimes/jvm/vmstructs.c user/runtimes/jvm/java_frames.c
fuzz_methods_SRCS := user/base/target_memory.c user/base/proc.c user/symbols/elf_symbols.c $(addprefix user/runtimes/python/,methods.c elf.c)
fuzz_methods_LIBS := -lelf
fuzz_elf_SRCS := user/symbols/elf_symbols.c user/base/proc.c
fuzz_elf_LIBS := -lelf
fuzz_record_SRCS := $(addprefix user/record/,record_read.c hint.c culprit.c stall_record.c) user/base/json_scan.c \
	$(addprefix user/base/,syscalls.c proc.c escape.c duration.c) $(addprefix user/report/,culprits.c stack_export.c)
fuzz_record_LIBS := -ljansson
$(BUILD)/fuzz/fuzz_record: $(BUILD)/hint_rules.h $(BUILD)/syscall_table.h

define FUZZER_RULE
$(BUILD)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $$(fuzz_$(1)_SRCS) | $(BUILD)/.dirs
	@mkdir -p $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $$(filter %.c,$$^) $$(fuzz_$(1)_LIBS) -o $$@
endef
$(foreach f,$(FUZZERS),$(eval $(call FUZZER_RULE,$(f))))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))

# A few seconds each in make test, from a fixed seed so that a run repeats the last one's inputs;
# make fuzz FUZZ_SECONDS=600 for as long as asked, from a new seed each time.
FUZZ_SECONDS ?= 300
fuzz-short: deps $(FUZZ_BINS)
	@FUZZ_SEED=1 bash tools/run-fuzzers.sh 3 $(FUZZERS)
fuzz: deps $(FUZZ_BINS)
	@bash tools/run-fuzzers.sh $(FUZZ_SECONDS) $(FUZZERS)

# loopstall and the unit tests built with ASan and UBSan in build/sanitized/: the unit tests, then
# the end-to-end tests that need no precise timing, against that binary (the command line's own
# cases are fuzz_cli's under the same sanitizers; every other file here starts and stops it too).
# Left out, for time: what the fuzzers cover (containers' cgroup paths) and plumbing whose memory is
# plain (limits, the log file's rotation).
SAN_BUILD := $(BUILD)/sanitized
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_E2E := test_asyncio.py test_binaries.py test_kill.py test_hooks.py test_causes.py \
	test_node.py test_redis.py test_runtimes.py test_fastapi.py test_report.py test_found.py \
	test_sinks.py::test_metrics_parse_and_move_with_stalls test_sinks.py::test_hostile_name_is_escaped_in_every_sink \
	test_sinks.py::test_idle_metrics_connections_do_not_starve_scrapes \
	"test_via.py::test_blocking_call_is_the_via[io.TextIOWrapper.readline]" "test_via.py::test_blocking_call_is_the_via[input]" \
	"test_culprit.py::test_node_builtins_in_cpp_are_the_via_of_their_caller[/gzip-compressReport-zlib.gzipSync]" \
	test_jvm.py::test_jvm_socket_read_names_the_jdk_call test_jvm.py::test_jvm_lock_lists_its_holder_not_the_jvms_own_threads \
	test_jvm.py::test_netty_heavy_regex_blames_the_handler_not_the_regex_engine
sanitized: deps
	$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) SANITIZE="$(SAN_FLAGS)" $(SAN_BUILD)/loopstall unit-bins
	@set -e; for t in $(SAN_BUILD)/tests/test_*; do echo "== sanitized $$t"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 $$t; done
	cd tests/e2e && LOOPSTALL_BIN=$(abspath $(SAN_BUILD))/loopstall ASAN_OPTIONS=detect_leaks=1 \
		python3 -m pytest -q -p no:cacheprovider $(SAN_E2E)

# make install: the binary, its man page (from scdoc), the systemd template unit and the logrotate snippet.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
PACKAGING := tools/packaging

# make arm64-check: every user-space file compiles for arm64 (-fsyntax-only), its headers before ours.
$(BUILD)/arm64/checked: $(USER_SRCS) user/cli/main.c $(shell find user bpf -name '*.h') $(BUILD)/arm64/syscall_table.h \
		$(GENERATED) $(BUILD)/hint_rules.h $(BUILD)/version.h
	@set -e; for f in $(USER_SRCS) user/cli/main.c; do \
		$(ARM64_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iuser -Ibpf -I$(BUILD)/arm64 -I$(BUILD) \
			-idirafter /usr/include -fsyntax-only $$f; done
	touch $@
arm64-check: $(BUILD)/arm64/checked

# The man page, its OPTIONS section (the line @OPTIONS@) printed from the option table.
$(BUILD)/gen-man-options: tools/gen-man-options.c $(BUILD)/obj/cli/option_table.o
	$(CC) $(CFLAGS) $^ -o $@

$(BUILD)/loopstall.8: $(PACKAGING)/loopstall.8.scd $(BUILD)/gen-man-options
	$(BUILD)/gen-man-options > $@.options
	sed -e '/^@OPTIONS@$$/{r $@.options' -e 'd;}' $< | scdoc > $@.tmp && mv $@.tmp $@ && rm $@.options

install: $(BUILD)/loopstall $(BUILD)/loopstall.8
	install -D -m 0755 $(BUILD)/loopstall $(DESTDIR)$(PREFIX)/sbin/loopstall
	install -D -m 0644 $(BUILD)/loopstall.8 $(DESTDIR)$(PREFIX)/share/man/man8/loopstall.8
	install -D -m 0644 $(PACKAGING)/loopstall@.service $(DESTDIR)$(SYSTEMDUNITDIR)/loopstall@.service
	sed -i 's|/usr/sbin/loopstall|$(PREFIX)/sbin/loopstall|' $(DESTDIR)$(SYSTEMDUNITDIR)/loopstall@.service
	install -D -m 0644 $(PACKAGING)/loopstall.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/loopstall

# build/loopstall_VERSION_amd64.deb (dpkg-deb; Depends from dpkg-shlibdeps).
deb: deps $(BUILD)/loopstall $(BUILD)/loopstall.8
	bash $(PACKAGING)/build-deb.sh $(BUILD) $(VERSION)

# Debian's python3 (with pytest, fastapi, ...), not a pyenv one first on PATH.
test: export PATH := /usr/bin:/usr/sbin:/bin:/sbin:$(PATH)
sanitized: export PATH := /usr/bin:/usr/sbin:/bin:/sbin:$(PATH)
test: layers arm64-check unit fuzz-short e2e sanitized

# The benchmark's own helpers: a timed hot path, and empty programs on loopstall's tracepoints.
$(BUILD)/bench_hotpath: tools/bench_hotpath.c | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $< -lpthread -o $@

$(BUILD)/bench_floor.bpf.o: tools/bench_floor.bpf.c $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench_floor: tools/bench_floor.c | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $< -lbpf -o $@

$(BUILD)/bench_loops: tools/bench_loops.c | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $< -lpthread -o $@

bench: deps $(BUILD)/loopstall $(BUILD)/bench_hotpath $(BUILD)/bench_loops $(BUILD)/bench_floor $(BUILD)/bench_floor.bpf.o
	/usr/bin/python3 tools/bench.py

format:
	clang-format -i bpf/*.c bpf/*.h $$(find user -name '*.[ch]') tests/unit/*.c

clean:
	rm -rf $(BUILD)

# The FastAPI case, live (README's first command).
demo: deps $(BUILD)/loopstall
	bash tools/demo.sh
