#!/bin/sh
# Re-record the archived traces in tests/data on this machine:
#     tests/data/rerecord.sh [BUILDDIR]          (BUILDDIR defaults to ./build)
# It builds exitrace and the test guests, then records every line of the
# table below into tests/data/NAME.xtr.  `exitrace check tests/data` must
# then pass: the kvm suite's replay-archive test runs exactly that.
#
# One line per trace: NAME, then the arguments of `exitrace record`.  $G is
# the directory of the built test guests (tests/kvm/guests/*.S).  A built-in
# scenario is recorded the same way, e.g.:
#     sti_irq --scenario sti-irq
# Keep each trace a few KiB: short guests, --max-steps for loops.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
out=$top/tests/data
G=$build/tests/kvm

recordings() {
	cat <<TABLE
long_exits      $G/long_exits.bin --load 0x100000
long_exits_hwbp $G/long_exits.bin --load 0x100000 --hw-bp 0x10000e
real_mode       $G/real_mode.bin --mode real --load 0x7c00
prot_mode       $G/prot_mode.bin --mode prot --load 0x100000
elf64           $G/elf64.bin
elf64_free      $G/elf64.bin --no-step
elf32           $G/elf32.bin
multiboot       $G/multiboot.bin --mem 32M --append hello-multiboot
irq_step        $G/irq_wait.bin --load 0x100000 --irq 0x30@30
irq_step_all    $G/irq_wait.bin --load 0x100000 --irq 0x30@30 --capture all
irq_port        $G/irq_wait.bin --load 0x100000 --irq 0x30@io:0x80
irq_nochip      $G/irq_wait.bin --load 0x100000 --irqchip none --irq 0x30@5
rand_loop       $G/rand_loop.bin --load 0x100000
spin_max        $G/spin.bin --load 0x100000 --max-steps 3000
triple_fault    $G/triple_fault.bin --load 0x100000
cli_hlt         $G/cli_hlt.bin --load 0x100000
int3            $G/int3.bin --load 0x100000
sti_irq         --scenario sti-irq
sti_irq_block   --scenario sti-irq --block-irq
sti_irq_noidt   --scenario sti-irq-noidt
mov_ss          --scenario mov-ss
popf_if         --scenario popf-if
sw_bp           --scenario sw-bp
hw_bp           --scenario hw-bp
watchpoint      --scenario watchpoint
dr7_gd          --scenario dr7-gd
exceptions      --scenario exceptions
io_mmio         --scenario io-mmio-cpuid-rdtsc-hlt
ipi             --scenario ipi
ipi_block       --scenario ipi --block-irq --capture lapic
init_sipi       --scenario init-sipi
ipi_hlt         --scenario ipi-hlt
spin4           $G/smp_spin.bin --load 0x100000 --vcpus 4 --max-steps 2000
TABLE
}

meson compile -C "$build" >/dev/null
rm -f "$out"/*.xtr
recordings | while read -r name args; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	status=0
	"$build/tools/exitrace" record $args -o "$out/$name.xtr" --console /dev/null --quiet || status=$?
	# a guest's isa-debug-exit status ((value << 1) | 1) is odd: 2 is exitrace's own error
	if [ "$status" -eq 2 ] || [ ! -s "$out/$name.xtr" ]; then
		echo "rerecord: recording $name failed" >&2
		exit 1
	fi
	printf '%-16s %6s bytes\n' "$name.xtr" "$(wc -c <"$out/$name.xtr")"
done
if "$build/tools/exitrace" check "$out" >/dev/null; then
	echo "rerecord: exitrace check $out passes"
else
	echo "rerecord: exitrace check $out FAILS: a recording does not replay the same" >&2
	exit 1
fi
