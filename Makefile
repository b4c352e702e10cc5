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

.PHONY: all run check shell deps base kernel initramfs boot-test boot-bounce \
	boot-lockdep boot-lockdep-access boot-drm lint report clean

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
		echo "run: the demonstration completed" || \
		{ echo "run: the demonstration FAILED" >&2; exit 1; }

shell: initramfs
	@$(H)/boot.sh $(BUILD) shell $(OUT)/shell 86400 kunit.enable=0

boot-test: initramfs
	@rm -rf $(OUT)/test
	@$(H)/boot.sh $(BUILD) test $(OUT)/test $(TEST_LIMIT)

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

lint: kernel
	@$(H)/lint.sh $(BUILD) $(SHARED)

check: lint boot-test boot-lockdep boot-lockdep-access boot-drm boot-bounce \
	report
	@echo "== verdict =="
	@rc=0; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/test test || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/lockdep lockdep || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/lockdep-access \
		lockdep-access || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/drm drm || rc=1; \
	python3 $(H)/check-log.py boot $(BUILD) $(OUT)/bounce bounce || rc=1; \
	python3 $(H)/check-log.py sum $(OUT)/lint $(OUT)/test $(OUT)/lockdep \
		$(OUT)/lockdep-access $(OUT)/drm $(OUT)/bounce || rc=1; \
	exit $$rc

clean:
	rm -rf $(BUILD)
