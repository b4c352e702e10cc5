# SPDX-License-Identifier: GPL-2.0-only
# The two commands: 'make run' (build and boot a guest that shows the
# subsystem at work) and 'make check' (every test).  See README.md.

BUILD ?= $(CURDIR)/.build
H := $(CURDIR)/harness
BASE = $(BUILD)/base/linux-source-6.12
OUT = $(BUILD)/out
# The project's shared tools (cleanroom-check): next to the repository, or
# where this machine kind keeps them when the clone lives elsewhere.
SHARED ?= $(firstword $(wildcard $(CURDIR)/../shared/tools/cleanroom-check \
	    /work/shared/tools/cleanroom-check))
SHARED := $(if $(SHARED),$(patsubst %/tools/cleanroom-check,%,$(SHARED)),$(CURDIR)/../shared)
# Time limits of a boot (seconds) under TCG with the debug kernel.
TEST_LIMIT ?= 1500
LOCKDEP_LIMIT ?= 600
DRM_LIMIT ?= 900
BOUNCE_LIMIT ?= 600
SYNC_LIMIT ?= 900
UPSTREAM_LIMIT ?= 900
ORACLE_LIMIT ?= 900

.PHONY: all run check shell deps base kernel initramfs boot-test boot-bounce \
	boot-lockdep boot-lockdep-access boot-drm boot-sync boot-upstream boot-demo boot-dev lint report clean \
	kunit kunit-prebuild docs \
	kernel-612 initramfs-612 boot-oracle oracle-prebuild
.PHONY: fuzz boot-fuzz fuzz-long check-full

all: kernel initramfs

deps:
	@$(H)/install-deps.sh

base: deps
	@python3 $(H)/prepare.py base $(BUILD)

kernel: base
	@$(H)/build-kernel.sh $(BUILD)

initramfs: kernel
	@$(H)/build-initramfs.sh $(BUILD)

report: base
	@python3 $(H)/prepare.py report $(BUILD)

run: initramfs
	@$(H)/boot.sh $(BUILD) demo $(OUT)/demo 600 quiet kunit.enable=0
	@grep -q 'HARNESS-END fence-demo rc=0' $(OUT)/demo/user.log && \
		grep -q 'HARNESS-END dmabuf-demo rc=0' $(OUT)/demo/user.log && \
		grep -q 'HARNESS-END prime-demo rc=0' $(OUT)/demo/user.log && \
		echo "run: the demonstration completed" || \
		{ echo "run: the demonstration FAILED" >&2; exit 1; }

# A developer's quick boot, judged like the others: the built-in KUnit
# suites that SUITES matches (a kunit.filter_glob) and the kselftests of
# ours that TESTS names (comma-separated), e.g.
#   make boot-dev SUITES='dma-resv*' TESTS=dmabuf-uapi,sync-file-uapi
# ARGS adds kernel arguments, e.g. bench_args=smoke=1 for the benchmark
# module, which loads when SUITES matches dmabuf-bench.
SUITES ?= none
TESTS ?=
ARGS ?=
boot-dev: initramfs
	@rm -rf $(OUT)/dev
	@$(H)/boot.sh $(BUILD) dev $(OUT)/dev $(TEST_LIMIT) \
		'kunit.filter_glob=$(SUITES)' harness_tests=$(TESTS) $(ARGS)
	@python3 $(H)/check-log.py boot $(BUILD) $(OUT)/dev dev

# The differential oracle: the UNMODIFIED 6.12 base kernel (same config
# fragments, none of our files) runs every kselftest of ours case by case
# and make run's demos.  An unmarked case that fails there, a marked one
# (DIFFERS_FROM_612) that passes there, or a mark naming no row of the
# README's "Differences from 6.12" table fails it.
# Each step's time goes to OUT/oracle-time-*, which make check prints.
kernel-612: base
	@mkdir -p $(OUT); s=$$(date +%s); $(H)/build-612.sh $(BUILD) && \
		echo "oracle: base kernel build $$(( $$(date +%s) - s )) s" \
		> $(OUT)/oracle-time-1

initramfs-612: kernel-612
	@s=$$(date +%s); $(H)/build-initramfs.sh $(BUILD) 612 && \
		echo "oracle: initramfs-612 $$(( $$(date +%s) - s )) s" \
		> $(OUT)/oracle-time-2

# make check starts the base kernel's build in the background as soon as
# our guest kernel is built (every object our overlay does not touch is
# then a ccache hit), at nice 10 like the KUnit kernels: the single-vCPU
# sync boot leaves a core for it.  kernel-612 then waits for it on
# BUILD/lock-612 and finds nothing left to do (or reports its failure).
oracle-prebuild: kernel
	@mkdir -p $(OUT)
	@echo "oracle: building the base kernel in the background (nice 10)"
	@(s=$$(date +%s); nice -n 10 $(H)/build-612.sh $(BUILD) && \
		echo "oracle: base kernel built in the background in" \
		"$$(( $$(date +%s) - s )) s") \
		> $(OUT)/oracle-prebuild.log 2>&1 < /dev/null &

boot-oracle: initramfs-612
	@rm -rf $(OUT)/oracle
	@s=$$(date +%s); KERNEL=$(BUILD)/linux-612/arch/x86/boot/bzImage \
		INITRD=$(BUILD)/initramfs-612.cpio.gz \
		$(H)/boot.sh $(BUILD) oracle $(OUT)/oracle $(ORACLE_LIMIT) \
		kunit.enable=0 && \
		echo "oracle: boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/oracle-time-3

shell: initramfs
	@$(H)/boot.sh $(BUILD) shell $(OUT)/shell 86400 kunit.enable=0

boot-test: initramfs
	@rm -rf $(OUT)/test
	@$(H)/boot.sh $(BUILD) test $(OUT)/test $(TEST_LIMIT) hugepages=16

boot-lockdep: initramfs
	@rm -rf $(OUT)/lockdep
	@$(H)/boot.sh $(BUILD) lockdep $(OUT)/lockdep $(LOCKDEP_LIMIT) \
		'kunit.filter_glob=dma-fence-lockdep*'

boot-lockdep-access: initramfs
	@rm -rf $(OUT)/lockdep-access
	@$(H)/boot.sh $(BUILD) lockdep $(OUT)/lockdep-access $(LOCKDEP_LIMIT) \
		lockdep_module=dma-buf-access-lockdep-test \
		'kunit.filter_glob=dma-buf-access-lockdep*'

boot-drm: initramfs
	@rm -rf $(OUT)/drm
	@$(H)/boot.sh $(BUILD) drm $(OUT)/drm $(DRM_LIMIT) \
		'kunit.filter_glob=[dt][rt]m*'   # drm_* and ttm_* suites only

boot-bounce: initramfs
	@rm -rf $(OUT)/bounce
	@$(H)/boot.sh $(BUILD) bounce $(OUT)/bounce $(BOUNCE_LIMIT) \
		swiotlb=force 'kunit.filter_glob=dma-buf-bounce*'

# Upstream's sync kselftest with all its cases, on one vCPU: its two
# ping-pong stress cases hand a timeline between threads 2^16 times, and
# under TCG a cross-CPU wake-up costs milliseconds (see README).
boot-sync: initramfs
	@rm -rf $(OUT)/sync
	@SMP=1 $(H)/boot.sh $(BUILD) sync $(OUT)/sync $(SYNC_LIMIT) kunit.enable=0

# Upstream's udmabuf and dmabuf-heaps kselftests.  udmabuf's last case
# pins 1024 folios of 2 MiB from a hugetlb memfd, hence the memory.
boot-upstream: initramfs
	@rm -rf $(OUT)/upstream
	@GUEST_MEM=3584 $(H)/boot.sh $(BUILD) upstream $(OUT)/upstream \
		$(UPSTREAM_LIMIT) hugepages=1100 kunit.enable=0

# make run's demonstration, judged: every demo program checks what it
# shows and must end with status 0; kernel reports and leaks fail it
# (not quiet: a WARN prints below the quiet console level).
boot-demo: initramfs
	@rm -rf $(OUT)/demo-check
	@TO_FILE=1 $(H)/boot.sh $(BUILD) demo $(OUT)/demo-check 600 \
		kunit.enable=0

# The uapi fuzzer (tools/testing/selftests/dma-buf/fuzz/) in the debug
# guest, judged like the other boots (kernel reports, kmemleak, and the
# fuzzer's own check that bufinfo, sync/info and the sysfs stats are back
# to their baseline), e.g. make fuzz SEED=7 OPS=100000 THREADS=4.
# SEED may list several seeds (SEED=1,2,3), each a run of OPS operations.
SEED ?= 1
OPS ?= 100000
THREADS ?= 4
FUZZ_LIMIT ?= 3600
fuzz: initramfs
	@rm -rf $(OUT)/fuzz
	@$(H)/boot.sh $(BUILD) fuzz $(OUT)/fuzz $(FUZZ_LIMIT) kunit.enable=0 \
		fuzz_seeds=$(SEED) fuzz_ops=$(OPS) fuzz_threads=$(THREADS) \
		fuzz_limit=$$(( $(FUZZ_LIMIT) - 120 ))
	@python3 $(H)/check-log.py boot $(BUILD) $(OUT)/fuzz fuzz

# make check's bounded fuzz run: fixed seeds, and the self-test that
# proves a leak is caught (see README "Fuzzing").
FUZZ_CHECK_SEEDS = 1,2
FUZZ_CHECK_OPS = 50000
boot-fuzz: initramfs
	@rm -rf $(OUT)/fuzz-check
	@$(H)/boot.sh $(BUILD) fuzz $(OUT)/fuzz-check 900 kunit.enable=0 \
		fuzz_seeds=$(FUZZ_CHECK_SEEDS) fuzz_ops=$(FUZZ_CHECK_OPS) \
		fuzz_threads=4 fuzz_selftest=1 fuzz_limit=800 fuzz_m32=3

lint: kernel
	@$(H)/lint.sh $(BUILD) $(SHARED)

# Our KUnit suites the way kernel developers run them (README: KUnit):
# tools/testing/kunit/kunit.py with drivers/dma-buf/.kunitconfig, x86_64
# under QEMU, on a copy of the prepared tree (BUILD/linux-kunit).
kunit: base
	@$(H)/kunit.sh $(BUILD)

# make check starts the KUnit kernels' builds first, in the background at
# nice 10: they take the CPU time its other steps leave idle (the test
# boot's work is mostly single-threaded, the sync boot has one vCPU, lint
# has serial parts), and make kunit later finds the kernel built.
kunit-prebuild: base
	@$(H)/kunit.sh $(BUILD) prebuild

# The documentation the kernel's way (README: Documentation): make
# htmldocs SPHINXDIRS=driver-api on the prepared tree; prints where the
# HTML is.  make lint runs it too and fails on a warning naming a file of
# ours, a DOC section or an exported symbol missing from the pages.
docs: base
	@flock $(BUILD)/lock python3 $(H)/prepare.py tree $(BUILD) >/dev/null
	@python3 $(H)/docs.py $(BUILD)

check: lint boot-test boot-lockdep \
	boot-lockdep-access boot-drm boot-bounce boot-sync boot-upstream \
	boot-demo boot-oracle kunit kunit-arm64 report
check: kunit-prebuild kunit-arm64-prebuild oracle-prebuild boot-fuzz
	@echo "== verdict =="
	@rc=0; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/test test || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/lockdep lockdep || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/lockdep-access \
		lockdep-access || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/drm drm || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/bounce bounce || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/sync sync || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/upstream upstream \
		|| rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/demo-check demo \
		|| rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/oracle oracle || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/fuzz-check fuzz || rc=1; \
	cat $(OUT)/oracle-time-[123] 2>/dev/null; \
	tail -n 1 $(OUT)/oracle-prebuild.log 2>/dev/null; \
	python3 $(H)/check-log.py sum $(OUT)/lint $(OUT)/test $(OUT)/lockdep \
		$(OUT)/lockdep-access $(OUT)/drm $(OUT)/bounce $(OUT)/sync \
		$(OUT)/upstream $(OUT)/demo-check $(OUT)/oracle \
		$(OUT)/fuzz-check $(OUT)/kunit $(OUT)/kunit-arm64 || rc=1; \
	exit $$rc

# check-full's long fuzz run (10^6 operations, seed 1000).
fuzz-long:
	@s=$$(date +%s); $(MAKE) --no-print-directory fuzz SEED=1000 \
		OPS=1000000 THREADS=4 FUZZ_LIMIT=14400 && \
		echo "fuzz: 10^6 operations, boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-fuzz

clean:
	rm -rf $(BUILD)

# ---- make check-full (issue 11, sections 3 and 5) ----
# make check, then the KCSAN and coverage guests.  Each extra kernel has a
# build directory of its own, BUILD/kcsan and BUILD/gcov, sharing BUILD's
# base and the ccache (harness/build-variant.sh); each is a full build.
# Each step's time goes to OUT/full-time-*, which check-full prints.
KCSAN_LIMIT ?= 3600
COVERAGE_LIMIT ?= 1800
# Extra guest arguments of the KCSAN boot, e.g. KCSAN_ARGS=harness_skip=
# sync_test for a quicker run, or kunit.filter_glob='dma-fence*'.
KCSAN_ARGS ?=
.PHONY: check-full kernel-kcsan boot-kcsan kernel-gcov boot-coverage coverage

kernel-kcsan: base
	@mkdir -p $(OUT); s=$$(date +%s); \
		$(H)/build-variant.sh $(BUILD) kcsan && \
		echo "kcsan: kernel and initramfs $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-kcsan-1

# The KCSAN guest (harness/config/kcsan.config, two vCPUs): the built-in
# KUnit suites, upstream's selftest module, our kselftests, upstream's
# sync, udmabuf and dmabuf-heap kselftests (and the fuzzer's threaded run
# with four threads).
# A KCSAN report in our files fails it; reports elsewhere are listed.
boot-kcsan: kernel-kcsan
	@rm -rf $(OUT)/kcsan
	@s=$$(date +%s); GUEST_MEM=3584 $(H)/boot.sh $(BUILD)/kcsan kcsan \
		$(OUT)/kcsan $(KCSAN_LIMIT) hugepages=1100 \
		$(KCSAN_ARGS) && \
		echo "kcsan: boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-kcsan-2
	@python3 $(H)/check-log.py boot $(BUILD)/kcsan $(OUT)/kcsan kcsan

kernel-gcov: base
	@mkdir -p $(OUT); s=$$(date +%s); \
		$(H)/build-variant.sh $(BUILD) gcov && \
		echo "coverage: kernel and initramfs $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-coverage-1

# The coverage guest (harness/config/gcov.config, gcov profiling of our
# directories only) runs the test boot's suites, upstream's udmabuf and
# dmabuf-heap kselftests and prints its .gcda files on the second port.
boot-coverage: kernel-gcov
	@rm -rf $(OUT)/coverage
	@s=$$(date +%s); GUEST_MEM=3584 $(H)/boot.sh $(BUILD)/gcov coverage \
		$(OUT)/coverage $(COVERAGE_LIMIT) hugepages=1100 && \
		echo "coverage: boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-coverage-2

# Line and branch coverage per file of ours, the functions never entered;
# fails below 90% of lines or with an exported function never entered.
coverage: boot-coverage
	@rc=0; \
	python3 $(H)/check-log.py boot $(BUILD)/gcov $(OUT)/coverage coverage \
		|| rc=1; \
	python3 $(H)/coverage.py $(BUILD)/gcov $(OUT)/coverage || rc=1; \
	exit $$rc

check-full: check fuzz-long boot-kcsan coverage
	@cat $(OUT)/full-time-* 2>/dev/null; true

# ---- make bench (issue 13; README: Performance) ----
# The benchmark kernel (harness/config/nodebug.config, no debug options) in
# BUILD/nodebug and the unmodified base with the same options in
# BUILD/linux-612-nodebug; four boots: each kernel under multi-threaded
# TCG (wall clock) and with -icount shift=0 on one vCPU (instructions).
# Our kernel runs the benchmark module (ours and upstream's copy) and the
# ioctl benchmark, the base kernel the ioctl benchmark.  The table, the
# .dat files and a plot per operation go to BUILD/bench.
# BENCH_ARGS=runs=3,only=resv-add sets the module's parameters.
BENCH_LIMIT ?= 5400
BENCH_ARGS ?=
.PHONY: bench kernel-nodebug kernel-612-nodebug initramfs-612-nodebug
kernel-nodebug: base
	@$(H)/build-variant.sh $(BUILD) nodebug

kernel-612-nodebug: base
	@$(H)/build-612.sh $(BUILD) nodebug

initramfs-612-nodebug: kernel-612-nodebug
	@$(H)/build-initramfs.sh $(BUILD) 612-nodebug

bench: kernel-nodebug initramfs-612-nodebug
	@rm -rf $(BUILD)/bench; set -e; s=$$(date +%s); \
	for clock in wall icount; do \
		ic=; [ $$clock = wall ] || ic=1; \
		d=$(BUILD)/bench/ours-$$clock; \
		ICOUNT=$$ic TRACE=0 $(H)/boot.sh $(BUILD)/nodebug bench $$d \
			$(BENCH_LIMIT) bench_args=$(BENCH_ARGS); \
		cat $$d/console.log $$d/user.log > $$d/boot.log; \
		d=$(BUILD)/bench/612-$$clock; \
		ICOUNT=$$ic TRACE=0 \
		KERNEL=$(BUILD)/linux-612-nodebug/arch/x86/boot/bzImage \
		INITRD=$(BUILD)/initramfs-612-nodebug.cpio.gz \
			$(H)/boot.sh $(BUILD) bench $$d $(BENCH_LIMIT); \
		cat $$d/console.log $$d/user.log > $$d/boot.log; \
	done; \
	echo "bench: four boots in $$(( $$(date +%s) - s )) s"; \
	python3 $(H)/bench.py report $(BUILD)/bench \
		$(BUILD)/bench/ours-wall/boot.log \
		$(BUILD)/bench/ours-icount/boot.log \
		$(BUILD)/bench/612-wall/boot.log \
		$(BUILD)/bench/612-icount/boot.log

# The patch series (README: The patch series).  series: the repository as
# commits on a git repository of the exact base (BUILD/series-git) and as
# mail (BUILD/series/).  series-check (in make check): git am onto a fresh
# clone of the base must give the harness's tree, and checkpatch --strict
# must find nothing but series.py's listed exceptions.  series-bisect (not
# in make check): every prefix builds (W=1, no new warnings) and boots into
# upstream's fence selftests; PREFIXES=1,2 limits it to some prefixes.
.PHONY: series series-check series-bisect
series: base
	@python3 $(H)/series.py build $(BUILD)

series-check: series
	@flock $(BUILD)/lock python3 $(H)/prepare.py tree $(BUILD) >/dev/null
	@python3 $(H)/series.py check $(BUILD)

series-bisect: series initramfs
	@python3 $(H)/series.py bisect $(BUILD)

check: series-check

# ---- other architectures and compilers (issue 14; README: Targets) ----
# kunit-arm64 (in make check): kunit.py with our .kunitconfig (its x86_64-
# only lines left out) cross-built for arm64 and booted on qemu-system-
# aarch64 -M virt, two vCPUs; make check starts its build in the
# background (kunit-arm64-prebuild) as it does the x86_64 one.
# kunit-i386 (check-full): the same on a 32-bit x86 kernel.
# boot-arm64, boot-arm64-bounce (check-full): the arm64 debug guest
# (harness/config/arm64.config + debug.config, BUILD/arm64) with upstream's
# selftests and our kselftests, and its swiotlb=force boot, where the
# bounce suite's device is also one whose DMA is not coherent.
# kernel-clang, boot-clang (check-full): the x86_64 guest built with
# LLVM=1 (BUILD/clang); a W=1 warning in a file of ours fails it.
ARM64_LIMIT ?= 3600
.PHONY: kunit-arm64 kunit-arm64-prebuild kunit-i386 kernel-arm64 boot-arm64 \
	boot-arm64-bounce kernel-clang boot-clang
kunit-arm64: base
	@KUNIT_ARCH=arm64 $(H)/kunit.sh $(BUILD)

kunit-arm64-prebuild: base
	@KUNIT_ARCH=arm64 $(H)/kunit.sh $(BUILD) prebuild

kunit-i386: base
	@mkdir -p $(OUT); s=$$(date +%s); KUNIT_ARCH=i386 $(H)/kunit.sh $(BUILD) \
		&& echo "i386: KUnit kernel and run $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-i386
	@python3 $(H)/check-log.py sum $(OUT)/kunit-i386

kernel-arm64: base
	@mkdir -p $(OUT); s=$$(date +%s); \
		$(H)/build-variant.sh $(BUILD) arm64 && \
		echo "arm64: kernel and initramfs $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-arm64-1

boot-arm64: kernel-arm64
	@rm -rf $(OUT)/arm64
	@s=$$(date +%s); KARCH=arm64 GUEST_MEM=3584 $(H)/boot.sh \
		$(BUILD)/arm64 arch $(OUT)/arm64 $(ARM64_LIMIT) hugepages=1100 && \
		echo "arm64: boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-arm64-2
	@python3 $(H)/check-log.py boot $(BUILD)/arm64 $(OUT)/arm64 arch

boot-arm64-bounce: kernel-arm64
	@rm -rf $(OUT)/arm64-bounce
	@s=$$(date +%s); KARCH=arm64 $(H)/boot.sh $(BUILD)/arm64 bounce \
		$(OUT)/arm64-bounce $(BOUNCE_LIMIT) swiotlb=force \
		'kunit.filter_glob=dma-buf-bounce*' && \
		echo "arm64: bounce boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-arm64-3
	@python3 $(H)/check-log.py boot $(BUILD)/arm64 $(OUT)/arm64-bounce bounce

kernel-clang: base
	@mkdir -p $(OUT); s=$$(date +%s); \
		$(H)/build-variant.sh $(BUILD) clang && \
		echo "clang: kernel and initramfs $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-clang-1

boot-clang: kernel-clang
	@rm -rf $(OUT)/clang
	@s=$$(date +%s); $(H)/boot.sh $(BUILD)/clang test $(OUT)/clang \
		$(TEST_LIMIT) hugepages=16 && \
		echo "clang: test boot $$(( $$(date +%s) - s )) s" \
		> $(OUT)/full-time-clang-2
	@python3 $(H)/check-log.py boot $(BUILD)/clang $(OUT)/clang test

check-full: kunit-i386 boot-arm64 boot-arm64-bounce boot-clang
