#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Instructions and symbols on fresh recordings of built-in scenarios (the
archived traces are checked by unit/inspect): sti-irq's cpuid at sti_after
right before the IRQ's arrival, the exception handlers' entries with the
faulting instruction, and record --hw-bp SYMBOL resolving the same label.
Skips (77) without a usable /dev/kvm.

usage: check_inspect_live.py EXITRACE STI_IRQ_WITH_DEBUG_INFO.elf SELF_MODIFY.bin
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import kvmtest
from kvmtest import check

X, ELF_G, SELF_MODIFY = sys.argv[1:4]
kvmtest.need_kvm()


run = kvmtest.runner(X)




with tempfile.TemporaryDirectory() as d:
    sti = os.path.join(d, "sti.xtr")
    # the guest's exit status is its count of vector 0x30 (1): record exits (1 << 1) | 1 = 3
    run("record", "--scenario", "sti-irq", "-o", sti, "--quiet", "--console", "/dev/null", ok=(3,))
    steps = [json.loads(l) for l in run("dump", "--json", sti).splitlines()]
    at = [s for s in steps if "rip" in s and s.get("sym") == "sti_after"]
    if check(len(at) == 1, f"sti-irq: one step at sti_after, got {len(at)}"):
        s = at[0]
        check(s["insn"] == "cpuid" and s["code"] == "initial", f"sti_after: {s}")
        taken = [e for e in steps if e.get("event") == "irq-taken"]
        check(taken and taken[0]["step"] == s["step"] + 1 and taken[0]["rip_before"] == s["rip"],
              f"the IRQ is taken at the step after sti_after, from its RIP: {taken}")
        sh = run("show", sti, "sti_after")
        check(sh.startswith(f"step {s['step']}:") and "ran: rip" in sh and "<sti_shadow> xor eax, eax" in sh,
              f"show sti_after: {sh[:300]}")
        arr = run("show", sti, str(s["step"] + 1))
        check("arrival: vector 0x30" in arr and "the interrupted instruction: <sti_after> cpuid" in arr and
              "stack-frame" in arr, f"show of the arrival: {arr}")

        # DWARF: the same guest built with -g names the source line; the trace's own ELF has none
        shg = run("show", sti, "sti_after", "--symbols", ELF_G)
        check(re.search(r"^step \d+: rip 0x[0-9a-f]+ <sti_after> cpuid at sti_irq\.c:\d+$", shg, re.M),
              f"show --symbols {ELF_G}: no sti_irq.c:LINE in {shg[:200]}")
        sjg = json.loads(run("show", "--json", sti, "sti_after", "--symbols", ELF_G))
        check(sjg.get("line", "").startswith("sti_irq.c:"), f"show --json --symbols: line {sjg.get('line')}")
        check(" at " not in run("show", sti, "sti_after").splitlines()[0], "no line without DWARF")

    exc = os.path.join(d, "exc.xtr")
    run("record", "--scenario", "exceptions", "-o", exc, "--quiet", "--console", "/dev/null", ok=(0, 1, 3))
    ev = [json.loads(l) for l in run("dump", "--json", exc, "--event", "irq-taken").splitlines()]
    arrivals = [e for e in ev if e.get("event") == "irq-taken"]
    want = {6: "exc_ud", 13: "exc_gp", 14: "exc_pf", 0: "exc_de"}
    check(sorted(a["vector"] for a in arrivals) == sorted(want), f"exceptions: arrivals {arrivals}")
    for a in arrivals:
        step = [e for e in ev if "rip" in e and e["step"] == a["step"]][0]
        # the delivery step ran the handler's first instruction: the RIP is in the IDT stubs
        check(step["sym"].startswith("rt_vectors+"), f"vector {a['vector']}: handler step at {step.get('sym')}")
        sj = json.loads(run("show", "--json", exc, str(a["step"])))
        check(sj["ran"]["sym"].startswith(want[a["vector"]]), f"vector {a['vector']}: ran {sj['ran']}")
    ud = [a for a in arrivals if a["vector"] == 6]
    if ud:
        sj = json.loads(run("show", "--json", exc, str(ud[0]["step"])))
        check(sj["ran"]["insn"] == "ud2", f"#UD raised by ud2: {sj['ran']}")

    # record --hw-bp SYMBOL finds the label dump names
    hb = os.path.join(d, "hb.xtr")
    run("record", "--scenario", "sti-irq", "--hw-bp", "sti_after", "-o", hb, "--quiet", "--console", "/dev/null",
        ok=(3,))
    lines = [l for l in run("dump", hb, "--rip", "sti_after").splitlines() if "<sti_after>" in l]
    check(lines and all("<sti_after> cpuid" in l for l in lines), f"--hw-bp sti_after, dump --rip sti_after: {lines}")
    hits = [l for l in lines if int(re.search(r"dr6=(0x[0-9a-f]+)", l).group(1), 16) & 1]
    check(len(hits) == 1, f"--hw-bp sti_after: one breakpoint hit (DR6.B0) at <sti_after>, got {lines}")

    # code the guest changed before running it: step 0's bytes are not shown as what ran
    sm = os.path.join(d, "sm.xtr")
    run("record", SELF_MODIFY, "--load", "0x100000", "-o", sm, "--quiet", "--console", "/dev/null", ok=(1,))
    lines = [l for l in run("dump", sm).splitlines() if "rip=" in l]
    nops = [l for l in lines if re.search(r"rip=0x10001[2-5] ", l)]
    check(len(nops) == 4 and all("(initial memory disagrees with what ran" in l for l in nops),
          f"self-modifying code: the nops' steps must not show step 0's mov: {lines}")
    check(any("rip=0x10001b" in l and "out 0xf4, al" in l for l in lines), f"unchanged code still shown: {lines}")
    shn = run("show", sm, "3")
    check("note: the step moved RIP by 1 bytes over an instruction of 5 in initial memory" in shn,
          f"show of the first nop's step doubts the mov: {shn[:400]}")

kvmtest.finish()
