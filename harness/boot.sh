#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot the guest kernel under QEMU, capture both serial ports, enforce a
# hard timeout.  The kernel log goes to OUT/console.log, the harness's
# userspace results to OUT/user.log.
# usage: harness/boot.sh BUILD MODE OUT [TIMEOUT_S] [extra kernel args...]
# ACCEL=kvm uses KVM (only where it really works); default is TCG.
# SMP sets the number of vCPUs (default 2).  KERNEL and INITRD override the
# images (the oracle boot runs the base kernel with its own initramfs).
# ICOUNT=1 boots one vCPU under single-threaded TCG with -icount shift=0:
# the guest clock advances one nanosecond per guest instruction, so what
# the guest times counts instructions (make bench).  TRACE=0 leaves the
# dma_fence tracepoints off.  KARCH=arm64 boots BUILD's arm64 kernel
# (make check-full) on qemu-system-aarch64's virt machine (-cpu max):
# console on its PL011, the results on a virtio console (/dev/hvc0); a
# DTB file names a device tree to boot with instead of QEMU's own.
set -eu
build=$(cd "$1" && pwd)
mode=$2
out=$3
limit=${4:-900}
shift 4 2>/dev/null || shift $#
mkdir -p "$out"
accel=${ACCEL:-tcg}
[ "$accel" = tcg ] && accel="tcg,thread=multi"
mem=${GUEST_MEM:-2048}
smp=${SMP:-2}
icount=()
if [ -n "${ICOUNT:-}" ]; then
	accel=tcg,thread=single
	smp=1
	icount=(-icount shift=0,sleep=off)
fi
trace="trace_event=dma_fence:*"
[ "${TRACE:-1}" = 0 ] && trace=
# hung_task_timeout_secs: under TCG, upstream's wait_backward selftest
# keeps one thread waiting 90 s with KASAN and over 120 s (the default)
# in the gcov guest; a task stuck for 6 minutes is still reported, well
# inside every boot's limit.
con="console=ttyS0,115200 earlyprintk=serial,ttyS0,115200"
[ "${KARCH:-}" = arm64 ] && con="console=ttyAMA0 earlycon"
cmdline="$con panic=-1 \
oops=panic no_hash_pointers $trace \
hung_task_timeout_secs=360 harness_mode=$mode $*"
serial=(-serial "file:$out/console.log" -serial "file:$out/user.log")
if [ "$mode" = shell ] || { [ "$mode" = demo ] && [ -z "${TO_FILE:-}" ]; }; then
	# The person watching sees the console; results still go to user.log.
	# TO_FILE=1 keeps a demo's console in OUT/console.log (make check).
	serial=(-serial mon:stdio -serial "file:$out/user.log")
fi
# qboot (QEMU's own minimal firmware, as kunit.py uses it): the guest has
# no ACPI, and SeaBIOS's MP table names only the boot CPU; qboot's names
# every vCPU.
qemu=(qemu-system-x86_64 -machine q35 -bios qboot.rom -cpu max
      -kernel "${KERNEL:-$build/linux/arch/x86/boot/bzImage}")
if [ "${KARCH:-}" = arm64 ]; then
	qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on
	      -kernel "${KERNEL:-$build/linux/arch/arm64/boot/Image}"
	      ${DTB:+-dtb "$DTB"} -device virtio-serial-device
	      -chardev "file,id=user,path=$out/user.log"
	      -device virtconsole,chardev=user)
	serial=(-serial "file:$out/console.log")
fi
echo "boot: $mode guest (QEMU ${KARCH:-x86_64} $accel${ICOUNT:+ icount}, $smp vCPUs, ${mem} MiB, limit ${limit} s)"
start=$(date +%s)
rc=0
timeout --foreground -k 10 "$limit" "${qemu[@]}" \
	-smp "$smp" -m "$mem" -accel "$accel" "${icount[@]}" \
	-initrd "${INITRD:-$build/initramfs.cpio.gz}" -append "$cmdline" \
	-display none -monitor none -no-reboot "${serial[@]}" || rc=$?
echo "boot: $mode guest finished in $(( $(date +%s) - start )) s (qemu rc=$rc)"
[ $rc -eq 124 ] && echo "boot: TIMEOUT after $limit s" >&2
exit 0
