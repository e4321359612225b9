# tokaudit build.  `make` builds build/tokaudit; `make test` runs every suite;
# `make deps` installs the Debian packages; V=1 shows the commands.
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# ---- architecture: picks the committed vmlinux.h ----
UNAME_M := $(shell uname -m)
ARCH_x86_64  := x86
ARCH_aarch64 := arm64
ARCH ?= $(ARCH_$(UNAME_M))
ifeq ($(ARCH),)
$(error unsupported architecture '$(UNAME_M)': add vmlinux/<arch>/vmlinux.h with scripts/gen-vmlinux.sh and a line in the Makefile)
endif
VMLINUX_DIR := vmlinux/$(ARCH)
ifeq ($(wildcard $(VMLINUX_DIR)/vmlinux.h),)
$(error no $(VMLINUX_DIR)/vmlinux.h for architecture $(ARCH): generate it on a $(ARCH) machine with scripts/gen-vmlinux.sh)
endif

# ---- flags ----
BPF_CFLAGS := -g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-I$(VMLINUX_DIR) -Iinclude -Ibpf -Wall -Werror -MMD -MP
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -Wmissing-prototypes -Wno-unused-parameter -Wno-missing-field-initializers -Wno-format-truncation -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -I$(BUILD) -MMD -MP
# user/ has three floors, and each sees only its own and those below it
# (README "Code map"): the compiler enforces the layers, scripts/layers.py
# says why
CORE_INC   := -Iuser/core
ENGINE_INC := -Iuser/engine $(CORE_INC)
CMD_INC    := -Iuser/cmd $(ENGINE_INC)
LDLIBS := -lbpf -lelf -lz -lpcap -ljson-c -lmicrohttpd -lsystemd -lmnl -lncursesw -lsmartcols -lm \
	$(shell pkg-config --libs libfixbuf 2>/dev/null || echo -lfixbuf -lglib-2.0 -lpthread)
# libfixbuf's headers include glib's
CFLAGS += $(shell pkg-config --cflags libfixbuf 2>/dev/null)

# ---- sources ----
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
USER_DIRS := core engine cmd
LIB_SRCS  := $(filter-out user/cmd/main.c,$(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.c)))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS)) $(BUILD)/user/core/builtin_policy.o
MAIN_OBJ  := $(BUILD)/user/cmd/main.o
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_SUPPORT := $(filter-out $(TEST_SRCS),$(wildcard tests/*.c))
TEST_SUPPORT_OBJS := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_SUPPORT))

.PHONY: all deps test test-asan bench clean run demo
# generated, for install: the units and their settings with the install paths
UNITS := $(BUILD)/systemd/tokaudit.service $(BUILD)/systemd/tokaudit@.service $(BUILD)/systemd/tokaudit.default
all: $(BUILD)/tokaudit $(BUILD)/tokaudit.8 $(UNITS)

deps:
	./scripts/deps.sh

$(BUILD) $(BUILD)/tests $(addprefix $(BUILD)/user/,$(USER_DIRS)):
	$(Q)mkdir -p $@

# ---- BPF: object -> skeleton ----
$(BUILD)/%.bpf.o: bpf/%.bpf.c Makefile | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# The compat variant's ELF is opened with the full variant's skeleton
# (user/core/dp.c): their maps, programs and global data must line up
$(BUILD)/tokaudit_compat.skel.h: $(BUILD)/tokaudit_compat.bpf.o $(BUILD)/tokaudit.skel.h
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tokaudit_compat > $@.tmp
	$(Q)sed -n '/^struct tokaudit {/,/^};/p' $(BUILD)/tokaudit.skel.h >$@.full
	$(Q)sed -n '/^struct tokaudit_compat {/,/^};/p' $@.tmp | sed 's/tokaudit_compat/tokaudit/g' | \
		cmp -s - $@.full || { rm -f $@.full; echo "tokaudit_compat.bpf.o: its maps, programs or globals differ from tokaudit.bpf.o's" >&2; rm -f $@.tmp; exit 1; }
	$(Q)rm -f $@.full; mv $@.tmp $@

# ---- the git revision, for 'tokaudit version' (rewritten only when it changes) ----
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
ifneq ($(GIT_REV),)
GIT_REV := $(GIT_REV)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
GIT_REV_KNOWN := 1
else
GIT_REV := unknown (not built from a git checkout)
endif
# when git cannot tell (no checkout, or another user's: 'sudo make install')
# an existing revision.h stays, so installing never rebuilds
$(BUILD)/revision.h: FORCE | $(BUILD)
	$(Q)line='#define TA_GIT_REV "$(GIT_REV)"'; \
	if [ -z "$(GIT_REV_KNOWN)" ] && [ -e $@ ]; then :; \
	elif [ "$$(cat $@ 2>/dev/null)" != "$$line" ]; then echo "$$line" > $@; fi
.PHONY: FORCE
FORCE:
$(BUILD)/user/cmd/cmd_version.o: $(BUILD)/revision.h

# ---- userspace ----
$(BUILD)/user/core/%.o: DIR_INC := $(CORE_INC)
$(BUILD)/user/engine/%.o: DIR_INC := $(ENGINE_INC)
$(BUILD)/user/cmd/%.o: DIR_INC := $(CMD_INC)
$(BUILD)/asan/core/%.o: DIR_INC := $(CORE_INC)
$(BUILD)/asan/engine/%.o: DIR_INC := $(ENGINE_INC)
$(BUILD)/asan/cmd/%.o: DIR_INC := $(CMD_INC)
$(BUILD)/user/%.o: user/%.c Makefile | $(addprefix $(BUILD)/user/,$(USER_DIRS)) $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DIR_INC) -c $< -o $@

$(BUILD)/user/core/builtin_policy.o: user/core/builtin_policy.S user/opentok.policy Makefile | $(BUILD)/user/core
	$(call msg,AS,$@)
	$(Q)$(CC) -c -DTA_POLICY_FILE='"user/opentok.policy"' $< -o $@

$(BUILD)/libtokaudit.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tokaudit: $(MAIN_OBJ) $(BUILD)/libtokaudit.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- installed files that name paths: systemd units and their settings ----
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
$(BUILD)/systemd:
	$(Q)mkdir -p $@
$(BUILD)/systemd/%: contrib/systemd/%.in contrib/systemd/hardening.conf Makefile | $(BUILD)/systemd
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		-e '/^@HARDENING@$$/{r contrib/systemd/hardening.conf' -e 'd}' $< > $@
# the paths baked into the units: rebuilt when PREFIX & co change
$(BUILD)/systemd/paths: FORCE | $(BUILD)/systemd
	$(Q)line='$(SBINDIR) $(SYSCONFDIR)'; [ "$$(cat $@ 2>/dev/null)" = "$$line" ] || echo "$$line" > $@
$(UNITS): $(BUILD)/systemd/paths
# the installed policy, every command's default when it exists
$(BUILD)/user/core/compile.o: CPPFLAGS += -DTA_SYSCONFDIR='"$(SYSCONFDIR)"'
$(BUILD)/user/core/compile.o: $(BUILD)/systemd/paths

# ---- the man page: one source, doc/tokaudit.8.scd ----
$(BUILD)/tokaudit.8: doc/tokaudit.8.scd | $(BUILD)
	$(call msg,SCDOC,$@)
	$(Q)scdoc < $< > $@

# ---- install / uninstall (DESTDIR for staging; nothing is written outside it) ----
# Files under $(SYSCONFDIR) are the admin's once installed: an existing one is
# left as it is (the new one goes beside it as FILE.new), and uninstall removes
# one only when it is unchanged.
CONF_FILES := $(SYSCONFDIR)/tokaudit/opentok.policy:user/opentok.policy \
	$(SYSCONFDIR)/tokaudit/vonage.policy:user/vonage.policy \
	$(SYSCONFDIR)/default/tokaudit:$(BUILD)/systemd/tokaudit.default
PLAIN_FILES := $(SBINDIR)/tokaudit:$(BUILD)/tokaudit:755 \
	$(MANDIR)/man8/tokaudit.8:$(BUILD)/tokaudit.8:644 \
	$(COMPLETIONDIR)/tokaudit:contrib/bash-completion/tokaudit:644 \
	$(UNITDIR)/tokaudit.service:$(BUILD)/systemd/tokaudit.service:644 \
	$(UNITDIR)/tokaudit@.service:$(BUILD)/systemd/tokaudit@.service:644 \
	$(DATADIR)/tokaudit/prometheus/tokaudit-rules.yml:contrib/prometheus/tokaudit-rules.yml:644 \
	$(DATADIR)/tokaudit/grafana/tokaudit.json:contrib/grafana/tokaudit.json:644

.PHONY: install uninstall doc
doc: $(BUILD)/tokaudit.8 $(UNITS)
install: $(BUILD)/tokaudit $(BUILD)/tokaudit.8 $(UNITS)
	@set -e; for e in $(PLAIN_FILES); do \
		dst=$${e%%:*}; rest=$${e#*:}; src=$${rest%%:*}; mode=$${rest#*:}; \
		install -D -m $$mode "$$src" "$(DESTDIR)$$dst"; echo "  INSTALL  $(DESTDIR)$$dst"; \
	done; \
	for e in $(CONF_FILES); do \
		dst=$${e%%:*}; src=$${e#*:}; \
		if [ -e "$(DESTDIR)$$dst" ] && ! cmp -s "$$src" "$(DESTDIR)$$dst"; then \
			install -D -m 644 "$$src" "$(DESTDIR)$$dst.new"; echo "  KEEP     $(DESTDIR)$$dst (yours; the shipped one is $$dst.new)"; \
		else \
			install -D -m 644 "$$src" "$(DESTDIR)$$dst"; echo "  INSTALL  $(DESTDIR)$$dst"; \
		fi; \
	done

uninstall:
	@for e in $(PLAIN_FILES); do \
		dst=$${e%%:*}; rm -f "$(DESTDIR)$$dst" && echo "  REMOVE   $(DESTDIR)$$dst"; \
	done; \
	for e in $(CONF_FILES); do \
		dst=$${e%%:*}; src=$${e#*:}; rm -f "$(DESTDIR)$$dst.new"; \
		if [ ! -e "$(DESTDIR)$$dst" ]; then :; \
		elif cmp -s "$$src" "$(DESTDIR)$$dst"; then rm -f "$(DESTDIR)$$dst" && echo "  REMOVE   $(DESTDIR)$$dst"; \
		else echo "  KEEP     $(DESTDIR)$$dst (changed by you)"; fi; \
	done; \
	rmdir "$(DESTDIR)$(DATADIR)/tokaudit/prometheus" "$(DESTDIR)$(DATADIR)/tokaudit/grafana" \
		"$(DESTDIR)$(DATADIR)/tokaudit" "$(DESTDIR)$(SYSCONFDIR)/tokaudit" 2>/dev/null || true

# ---- tests ----
$(BUILD)/tests/%.o: tests/%.c Makefile | $(BUILD)/tests $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CMD_INC) -Wno-override-init -Itests -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_SUPPORT_OBJS) $(BUILD)/libtokaudit.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# The policy tests and the policy fuzzer again, under AddressSanitizer and
# UBSan (no BPF in them, so they run anywhere, root or not).
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
POLICY_SRCS := $(addprefix user/core/,policy.c table.c compile.c json.c files.c log.c) user/engine/policy_out.c
ASAN_BINS := $(BUILD)/tests/asan_test_policy $(BUILD)/tests/asan_fuzz_policy
$(BUILD)/tests/asan_test_policy: tests/test_policy.c
$(BUILD)/tests/asan_fuzz_policy: tests/fuzz/fuzz_policy.c
$(ASAN_BINS): $(POLICY_SRCS) $(BUILD)/user/core/builtin_policy.o $(wildcard include/*.h user/*/*.h) Makefile | $(BUILD)/tests
	$(call msg,ASAN,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(CMD_INC) -Itests $(ASAN_FLAGS) \
		$(filter %.c,$^) $(BUILD)/user/core/builtin_policy.o -ljson-c -lsmartcols -lm -lcmocka -o $@

# The DNS parser and the TLS server-name reader alone, under the same sanitizers
$(BUILD)/tests/asan_fuzz_dns: tests/fuzz/fuzz_dns.c tests/fuzz/bytes.h user/core/dns.c user/core/dns.h Makefile | $(BUILD)/tests
	$(call msg,ASAN,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(CORE_INC) $(ASAN_FLAGS) $(filter %.c,$^) -lcmocka -lm -o $@
$(BUILD)/tests/asan_fuzz_tls: tests/fuzz/fuzz_tls.c tests/fuzz/bytes.h user/core/tls.c user/core/tls.h Makefile | $(BUILD)/tests
	$(call msg,ASAN,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(CORE_INC) $(ASAN_FLAGS) $(filter %.c,$^) -lcmocka -lm -o $@
ASAN_BINS_DNS := $(BUILD)/tests/asan_fuzz_dns $(BUILD)/tests/asan_fuzz_tls

# The whole of tokaudit under AddressSanitizer and UBSan: the capture fuzzer
# drives the replay engine (and its BPF program) through it.
ASAN_OBJS := $(patsubst user/%.c,$(BUILD)/asan/%.o,$(LIB_SRCS))
$(addprefix $(BUILD)/asan/,$(USER_DIRS)):
	$(Q)mkdir -p $@
$(BUILD)/asan/%.o: user/%.c Makefile | $(addprefix $(BUILD)/asan/,$(USER_DIRS)) $(SKELS) $(BUILD)/revision.h
	$(call msg,ASAN-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DIR_INC) $(ASAN_FLAGS) -c $< -o $@
$(BUILD)/tests/asan_fuzz_pcap: tests/fuzz/fuzz_pcap.c $(ASAN_OBJS) $(BUILD)/user/core/builtin_policy.o | $(BUILD)/tests
	$(call msg,ASAN,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(CMD_INC) $(ASAN_FLAGS) $^ $(LDLIBS) -lcmocka -o $@
ASAN_BINS += $(BUILD)/tests/asan_fuzz_pcap $(ASAN_BINS_DNS)

# BPF helpers of the shell suites (tests/bpf/*.bpf.c), loaded with tc
TEST_BPF := $(patsubst tests/bpf/%.bpf.c,$(BUILD)/tests/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c Makefile | $(BUILD)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

test: all $(TEST_BINS) $(ASAN_BINS) $(TEST_BPF)
	$(Q)./tests/run.sh

# Longer runs than make test's (root for the engine and the datapath):
# FUZZ_SECONDS per fuzzer, the differential over FUZZ_FRAMES frames each way.
# SEED replays a run (every fuzzer prints the seed it used).
FUZZ_SECONDS ?= 60
FUZZ_FRAMES ?= 1000000
FAULT_N ?= 200
SEED ?= 20131823
.PHONY: fuzz
fuzz: $(ASAN_BINS) $(BUILD)/tests/test_diff $(BUILD)/tests/test_learn
	TA_FUZZ_SEED=$(SEED) TA_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BUILD)/tests/asan_fuzz_policy
	TA_FUZZ_SEED=$(SEED) TA_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BUILD)/tests/asan_fuzz_pcap
	TA_FUZZ_SEED=$(SEED) TA_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BUILD)/tests/asan_fuzz_dns
	TA_FUZZ_SEED=$(SEED) TA_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BUILD)/tests/asan_fuzz_tls
	TA_DIFF_SEED=$(SEED) TA_DIFF_N=$(FUZZ_FRAMES) $(BUILD)/tests/test_diff
	TA_LEARN_SEED=$(SEED) TA_LEARN_N=$(FUZZ_FRAMES) $(BUILD)/tests/test_learn
	TA_FAULT_SEED=$$(( $(SEED) % 32768 )) TA_FAULT_N=$(FAULT_N) bash tests/faults.test.sh

# Debian 11's 5.10, Debian 12's 6.1 and 6.12 under qemu run the suites that need a kernel (also
# part of make test, as tests/kernels.test.sh)
.PHONY: test-kernels
test-kernels: all $(TEST_BINS)
	$(Q)TA_KERNELS_FULL=1 bash tests/kernels.test.sh

# Benchmarks (root): build/bench/results.md and results.json
$(BUILD)/bench:
	$(Q)mkdir -p $@
$(BUILD)/bench/ta_bench: tests/bench/bench.c $(BUILD)/tests/pkt.o $(BUILD)/libtokaudit.a $(SKELS) Makefile | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(CMD_INC) -Wno-override-init -Itests $< $(BUILD)/tests/pkt.o $(BUILD)/libtokaudit.a $(LDLIBS) -lpthread -o $@

bench: $(BUILD)/tokaudit $(BUILD)/bench/ta_bench
	./tests/bench/bench.sh

# The main job: audit the interface of the default route with the built-in policy.
run: $(BUILD)/tokaudit
	@dev=$$(ip route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($$i == "dev") { print $$(i+1); exit }}'); \
	if [ -z "$$dev" ]; then \
		echo "make run: this machine has no default route; name the interface: sudo $(BUILD)/tokaudit run -i IFACE" >&2; exit 1; \
	fi; \
	echo "tokaudit run -i $$dev (built-in OpenTok policy; Ctrl-C for the report)"; \
	exec $(BUILD)/tokaudit run -i $$dev $(RUN_ARGS)

demo: $(BUILD)/tokaudit
	./scripts/demo.sh

clean:
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/user/*/*.d $(BUILD)/tests/*.d $(BUILD)/asan/*/*.d)
