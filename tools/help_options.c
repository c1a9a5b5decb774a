// SPDX-License-Identifier: MIT
/*
 * Each command's options for its --help: every option, what it takes, its
 * default, then examples.  The manual pages (docs/man/) say the same at
 * length; tests/man/options.sh holds the two to the same set of options.
 *
 * Short options are the same letter for the same thing in every command
 * that has them: -o output, -q quiet, -C context, -v vCPU, -f/-t from/to,
 * -h help.
 */
#include <string.h>

#include "cli.h"

struct help_options {
	const char *cmd;
	const char *text;
};

static const struct help_options help[] = {
	{ "record",
	  "options (a guest image or a scenario):\n"
	  "  -o, --output FILE        the trace to write (required)\n"
	  "  --scenario NAME          a built-in guest instead of GUEST ('exitrace scenarios')\n"
	  "  --mode real|prot|long    a flat image's CPU mode at entry (default long; needs --load)\n"
	  "  --load ADDR              load GUEST as a flat image at ADDR (default: GUEST is an ELF\n"
	  "                           or multiboot kernel, loaded where it says)\n"
	  "  --entry ADDR             where the vCPU starts (default: the ELF's entry, or --load)\n"
	  "  --mem SIZE               guest RAM, with K, M or G (default 128M)\n"
	  "  --vcpus N                vCPUs, 1-64 (default 1; a scenario's own count)\n"
	  "  --no-step                no single-step: record only the exits that happen by themselves\n"
	  "  --block-irq              step with KVM_GUESTDBG_BLOCKIRQ too (default: off)\n"
	  "  --irqchip none|kernel|split  the interrupt controller (default kernel)\n"
	  "  --irq VECTOR@STEP|VECTOR@io:PORT|nmi@STEP  inject an interrupt (repeatable; default none)\n"
	  "  --max-steps N            stop after N steps (default: no limit; a scenario's own)\n"
	  "  --timeout SEC            stop after SEC seconds (default: no limit; a scenario's own)\n"
	  "  --capture SET            add lapic, debugregs, fpu, stats, time or all to the default set\n"
	  "                           (default regs,sregs,events,exit)\n"
	  "  --ktrace                 record the kernel's KVM tracepoints as events (default: off)\n"
	  "  --idt, --no-idt          exitrace's default IDT handlers, or none (default: none;\n"
	  "                           a scenario's own choice)\n"
	  "  --sw-bp                  let the guest's INT3 exit to exitrace (default: off)\n"
	  "  --hw-bp ADDR|SYMBOL[:x|w|rw[:LEN]]  a hardware breakpoint, up to 4 (default: none)\n"
	  "  --console FILE           the guest's serial output to FILE (default: stderr)\n"
	  "  -q, --quiet              no summary on stderr\n"
	  "  --json-summary           the summary as one exitrace-json/1 object on stderr (default:\n"
	  "                           text)\n"
	  "  --one-thread             write the trace from the stepping thread (default: a writer\n"
	  "                           thread when a second CPU is there)\n"
	  "  --append ARGS            multiboot: ARGS after the kernel's path on its command line\n"
	  "  --cmdline LINE           multiboot: the whole command line instead\n"
	  "  --module FILE[,STRING]   multiboot: a module, up to 16 (STRING default: its path)\n"
	  "  --initrd FILE            multiboot: a module without a string\n"
	  "  --legacy-pc, --no-legacy-pc  the PIT, PICs and IVT of a PC (default: on for real-mode\n"
	  "                           guests and multiboot kernels with --irqchip kernel)\n"
	  "options with -- COMMAND (attach):\n"
	  "  --step                   single-step the vCPUs the VMM does not debug (default: off)\n"
	  "  --step-at-port PORT      --step from the guest's first write to I/O port PORT\n"
	  "  --step-after N           --step after the first N steps\n"
	  "  --memory none|hash|full  the slots' memory at the first KVM_RUN: not stored, each slot's\n"
	  "                           SHA-256, or stored (default full; replay needs it)\n"
	  "  --memory-limit BYTES     above this, full stores the hashes only (default 256 MiB)\n"
	  "  --no-stale               no pattern in the run page to name the fields KVM left\n"
	  "                           stale (default: the pattern, and a note per field)\n"
	  "  --capture time           time the VMM's KVM_RUNs (default: not timed)\n"
	  "  --no-borrow-sync-regs    read the registers with GET ioctls, not kvm_run->s.regs\n"
	  "                           for the length of each KVM_RUN (default: s.regs)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace record --scenario sti-irq -o a.xtr\n"
	  "  exitrace record --load 0x100000 --mode real --max-steps 10000 -o boot.xtr boot.bin\n"
	  "  exitrace record --irq 0x30@100 --capture lapic -o k.xtr kernel.elf\n"
	  "  exitrace record --step -o q.xtr -- qemu-system-x86_64 -accel kvm -kernel k.elf\n" },
	{ "replay",
	  "options:\n"
	  "  -o, --output NEW         write the replay's own trace to NEW (default: none)\n"
	  "  -C, --context N          steps shown before the first difference (default 3)\n"
	  "  -q, --quiet              only the verdict line\n"
	  "  --json                   the outcome as one JSON object (default: text)\n"
	  "  --gdb [HOST:]PORT        serve the replay to gdb on TCP (HOST default 127.0.0.1;\n"
	  "                           PORT 0: a free one, printed) (default: no gdb)\n"
	  "  --gdb-unix PATH          serve it on a Unix socket instead (default: no gdb)\n"
	  "  --checkpoint-every N     --gdb: a checkpoint every N steps (default 1000)\n"
	  "  --checkpoint-mem BYTES   --gdb: the checkpoints' memory, K/M/G (default 256M)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace replay a.xtr\n"
	  "  exitrace replay --gdb :1234 a.xtr   (then: gdb -ex 'target remote :1234')\n"
	  "  exitrace replay -C 10 -o again.xtr a.xtr\n" },
	{ "check",
	  "options:\n"
	  "  -q, --quiet              only the TAP lines (default: with # comments)\n"
	  "  -j, --jobs N             N replays at once (default 1); output in serial order\n"
	  "  --json                   one JSON object instead of TAP (default: TAP)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace check traces/\n"
	  "  exitrace check -q -j 2 a.xtr b.xtr\n" },
	{ "info",
	  "options:\n"
	  "  -v, --vcpu N             only vCPU N's figures (default: every vCPU)\n"
	  "  --json                   one JSON object instead of text\n"
	  "  --verify                 read every frame and check the footer against them\n"
	  "                           (default: the footer is believed, and that is said)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace info a.xtr\n"
	  "  exitrace info --verify --json a.xtr\n" },
	{ "diff",
	  "options:\n"
	  "  -C, --context N          steps shown around each divergence, 0-1000 (default 3)\n"
	  "  --ignore FIELD,...       fields or event kinds not compared (default: none)\n"
	  "  --max-hunks N            stop after N divergences, 0 no limit (default 10)\n"
	  "  --first                  stop at the first divergence\n"
	  "  --window N               steps searched to resynchronise after one (default 10000)\n"
	  "  --vcpu N                 vCPU N alone (default: every vCPU)\n"
	  "  --json                   JSON instead of text\n"
	  "  --symbols ELF            symbols for both traces; given twice: A's, then B's\n"
	  "                           (default: the guest ELFs in the traces)\n"
	  "  --exit REASON,...        show hunks whose steps end in these exits (default: all)\n"
	  "  --event KIND,...         show hunks with events of these kinds (default: all)\n"
	  "  --rip LO-HI|SYMBOL       show hunks with RIPs in LO <= RIP < HI (default: all)\n"
	  "  --color[=auto|always|never]  colour (default auto: when stdout is a terminal and\n"
	  "                           NO_COLOR is unset)\n"
	  "  --no-pager               never page (default: long output to a terminal through\n"
	  "                           $EXITRACE_PAGER, $PAGER or less -FRX)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace diff sti.xtr sti-block.xtr\n"
	  "  exitrace diff --ignore rflags,console --first -C 5 a.xtr b.xtr\n" },
	{ "dump",
	  "options:\n"
	  "  -f, --from N             the first step shown (default 1)\n"
	  "  -t, --to N               the last step shown (default: the last)\n"
	  "  -v, --vcpu N             vCPU N's steps alone (default: every vCPU)\n"
	  "  --exit REASON,...        steps ending in these exits (default: all)\n"
	  "  --event KIND,...         steps with events of these kinds (default: all)\n"
	  "  --rip LO-HI|ADDR|SYMBOL  steps whose RIP is in the range (default: all)\n"
	  "  --symbols ELF            symbols from ELF (default: the guest ELF in the trace)\n"
	  "  --json                   JSON instead of text\n"
	  "  --color[=auto|always|never]  colour (default auto: when stdout is a terminal and\n"
	  "                           NO_COLOR is unset)\n"
	  "  --no-pager               never page (default: long output to a terminal through\n"
	  "                           $EXITRACE_PAGER, $PAGER or less -FRX)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace dump a.xtr\n"
	  "  exitrace dump --from 100 --to 200 --exit IO,MMIO a.xtr\n" },
	{ "stat",
	  "options:\n"
	  "  -v, --vcpu N             vCPU N's steps alone (default: every vCPU)\n"
	  "  --exit REASON,...        count only steps ending in these exits (default: all)\n"
	  "  --event KIND,...         count only steps with events of these kinds (default: all)\n"
	  "  --rip LO-HI|ADDR|SYMBOL  count only steps whose RIP is in the range (default: all)\n"
	  "  --symbols ELF            symbols from ELF (default: the guest ELF in the trace)\n"
	  "  --json                   one JSON object instead of text\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace stat a.xtr\n"
	  "  exitrace stat --rip main a.xtr\n" },
	{ "show",
	  "options:\n"
	  "  -v, --vcpu N             STEP counts vCPU N's own steps (default: the global order)\n"
	  "  --mem ADDR LEN           LEN bytes of guest memory at ADDR, as at step 0 (default: none)\n"
	  "  --symbols ELF            symbols from ELF (default: the guest ELF in the trace)\n"
	  "  --json                   one JSON object instead of text\n"
	  "  --color[=auto|always|never]  colour (default auto: when stdout is a terminal and\n"
	  "                           NO_COLOR is unset)\n"
	  "  --no-pager               never page (default: long output to a terminal through\n"
	  "                           $EXITRACE_PAGER, $PAGER or less -FRX)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace show a.xtr 42\n"
	  "  exitrace show a.xtr main#2 --mem 0x1000 64\n" },
	{ "export",
	  "options:\n"
	  "  --format perfetto|csv    the output format (required)\n"
	  "  -o, --output OUT         write to OUT (default: stdout)\n"
	  "  --symbols ELF            symbols from ELF (default: the guest ELF in the trace)\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace export --format perfetto -o a.json a.xtr\n"
	  "  exitrace export --format csv a.xtr > a.csv\n" },
	{ "scenarios",
	  "options:\n"
	  "  --json                   one JSON object instead of text\n"
	  "  -h, --help               this help\n"
	  "examples:\n"
	  "  exitrace scenarios\n" },
};

const char *help_options(const char *cmd)
{
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		if (!strcmp(help[i].cmd, cmd))
			return help[i].text;
	return NULL;
}
