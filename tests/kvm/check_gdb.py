#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
exitrace replay --gdb against gdb in batch mode, on fresh recordings of
built-in scenarios: a breakpoint on a symbol stops at the step `show`
finds for it; reverse-stepi gives exactly the step before's registers (as
`show --json` has them); a watchpoint on a guest variable stops after the
write going forward and before it going back; `monitor step N` then the
registers equal `show N`, forward and back across checkpoints; the trace
is not changed; gdb takes the guest ELF from the trace; a 2-vCPU trace shows its vCPUs as threads and each step's
registers are its vCPU's; --gdb-unix; a divergence stops gdb with the
difference, the replay going no further; every built-in scenario goes
back and forth across checkpoints and stays identical to its recording.
Skips (77) without a usable /dev/kvm or without gdb.

usage: check_gdb.py EXITRACE STI_IRQ_WITH_DEBUG_INFO.elf
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import kvmtest
from kvmtest import check

X, ELF = sys.argv[1:3]
kvmtest.need_kvm()
GDB = shutil.which("gdb")
if not GDB:
    print("SKIP: gdb is not installed")
    sys.exit(77)




run = kvmtest.runner(X)


def show(trace, step):
    return json.loads(run("show", trace, str(step), "--json"))


def gdb_session(trace, commands, *server_args, elf=ELF):
    """Serve trace on a free port, run gdb's commands against it; gdb's output."""
    srv = subprocess.Popen([X, "replay", "--gdb", "127.0.0.1:0", *server_args, trace],
                           stderr=subprocess.PIPE, text=True)
    line = srv.stderr.readline()
    m = re.search(r"target remote 127\.0\.0\.1:(\d+)", line)
    if not check(m, f"the server did not say where it listens: {line!r}"):
        srv.kill()
        return ""
    argv = [GDB, "-batch", "-nx", "-ex", "set pagination off", *(["-ex", f"file {elf}"] if elf else []),
            "-ex", f"target remote 127.0.0.1:{m.group(1)}"]
    for c in commands:
        argv += ["-ex", c]
    g = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    try:
        rest = srv.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        srv.kill()
        rest = srv.communicate()[1]
        check(False, "the server did not end with gdb's session")
    check(srv.returncode == 0, f"the server's exit status {srv.returncode}: {rest.strip()}")
    return g.stdout + g.stderr


def wheres(out):
    """The steps `monitor where` said, in order."""
    return [int(s) for s in re.findall(r"^step (\d+) of \d+", out, re.M)]


REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base",
        "cr0", "cr2", "cr3", "cr4", "efer", "cs_base"]
SHOW_NAME = {"eflags": "rflags", "cs": "cs.selector", "ss": "ss.selector", "ds": "ds.selector",
             "es": "es.selector", "fs": "fs.selector", "gs": "gs.selector", "fs_base": "fs.base",
             "gs_base": "gs.base", "cs_base": "cs.base"}


def registers(block):
    """`info registers` lines into {name: value}."""
    regs = {}
    for name, val in re.findall(r"^(\w+)\s+(0x[0-9a-f]+|-?\d+)\b", block, re.M):
        regs.setdefault(name, int(val, 0) & 0xffffffffffffffff)
    return regs


def same_registers(got, step_json, what):
    state = step_json["state"]
    bad = [f"{r}: gdb 0x{got.get(r, -1):x}, show 0x{int(state[SHOW_NAME.get(r, r)], 16):x}"
           for r in REGS if got.get(r) != int(state[SHOW_NAME.get(r, r)], 16)]
    return check(not bad, f"{what}: registers differ from exitrace show's: {'; '.join(bad)}")


def between(out, a, b):
    i = out.find(a)
    j = out.find(b, i + 1)
    return out[i:j] if i >= 0 and j >= 0 else ""


INFO = "info registers " + " ".join(REGS)

with tempfile.TemporaryDirectory() as d:
    trace = os.path.join(d, "sti.xtr")
    run("record", "--scenario", "sti-irq", "-o", trace, "--quiet", ok=(3,))  # its isa-debug-exit status
    digest = hashlib.sha256(open(trace, "rb").read()).hexdigest()
    at_sym = show(trace, "sti_after")
    bp_step = at_sym["step"]

    # break on a symbol, continue; reverse-stepi; the registers of both steps
    out = gdb_session(trace, ["break sti_after", "continue", "monitor where", "echo ==A\\n", INFO,
                              "echo ==B\\n", "reverse-stepi", "monitor where", "echo ==C\\n", INFO,
                              "echo ==D\\n", "reverse-stepi", "reverse-stepi", "monitor where",
                              "echo ==E\\n", INFO, "echo ==F\\n"], "--checkpoint-every", "300")
    w = wheres(out)
    check(w[:3] == [bp_step, bp_step - 1, bp_step - 3],
          f"break sti_after, continue, reverse-stepi x1, x2: steps {w}, want {bp_step}, {bp_step - 1}, {bp_step - 3}")
    check("Breakpoint 1, " in out, f"gdb did not report the breakpoint:\n{out}")
    same_registers(registers(between(out, "==A", "==B")), at_sym, f"at the breakpoint (step {bp_step})")
    same_registers(registers(between(out, "==C", "==D")), show(trace, bp_step - 1),
                   f"reverse-stepi from {bp_step}")
    # step 300 is a checkpoint: the second pair of reverse-stepi crossed none, this one does
    same_registers(registers(between(out, "==E", "==F")), show(trace, bp_step - 3),
                   f"reverse-stepi to {bp_step - 3}")

    # no ELF given: gdb reads the one the trace holds from the server
    out = gdb_session(trace, ["break sti_after", "continue", "monitor where"], elf=None)
    check("target:/exitrace/guest.elf" in out and wheres(out) == [bp_step],
          f"without an ELF, break sti_after: where says {wheres(out)}, want {bp_step}:\n{out}")

    # monitor step N: forward, back across checkpoints, to the end and to the start
    steps = [500, 150, 1, 999, 0]
    cmds = []
    for n in steps:
        cmds += [f"monitor step {n}", "maintenance flush register-cache", f"echo =={n}\\n", INFO, "echo ==.\\n"]
    out = gdb_session(trace, cmds, "--checkpoint-every", "100")
    check(wheres(out) == steps, f"monitor step {steps}: where says {wheres(out)}")
    for n in steps[:-1]:  # show has no step 0
        same_registers(registers(between(out, f"=={n}\n", "==.")), show(trace, n), f"monitor step {n}")

    # a watchpoint: forward it stops after the write, backward before it
    irqs = int(re.search(r"^([0-9a-f]+) \w irqs$", subprocess.run(["nm", ELF], capture_output=True, text=True).stdout,
                         re.M).group(1), 16)
    out = gdb_session(trace, ["watch irqs", "continue", "monitor where", f"monitor phys {irqs:#x} 4",
                              "continue", "monitor where",
                              "reverse-continue", "monitor where", "echo ==I\\n", "x/i $pc", "print irqs",
                              "echo ==J\\n", "reverse-continue", "monitor where"], "--checkpoint-every", "200")
    w = wheres(out)
    total = int(re.search(r"of (\d+)", out).group(1)) if re.search(r"of (\d+)", out) else -1
    if check(len(w) == 4, f"watch irqs: where said {w}:\n{out}"):
        write = w[0]
        check("Old value = 0" in out and "New value = 1" in out, f"no old/new value of irqs:\n{out}")
        # the guest maps its memory 1:1: the physical bytes are the variable's
        check(re.search(rf"^0x{irqs:08x}: 01 00 00 00$", out, re.M) is not None,
              f"monitor phys {irqs:#x} 4 after the write does not show 1:\n{out}")
        check(w[1] == total, f"continue after the only write: step {w[1]}, not the end {total}")
        check(w[2] == write - 1, f"reverse-continue from the end: step {w[2]}, want {write - 1} (before the write)")
        before = between(out, "==I", "==J")
        ran = show(trace, write)["ran"]
        check(f"0x{int(ran['rip'], 16):x}" in before and "$1 = 0" in before,
              f"reverse-continue: not at the write ({ran['rip']} {ran['insn']}) with irqs 0:\n{before}")
        check(w[3] == 0 and "No more reverse-execution history" in out,
              f"reverse-continue before the only write: step {w[3]}, not the start")
        irq_rip = show(trace, write)["ran"]["insn"]
        check(bool(irq_rip), "show has no instruction for the write")

    # a breakpoint hit many times: forward hit by hit, then reverse-continue back through them, with
    # checkpoints every 4 steps thinned out by a 1 MiB bound (each is bigger than 4 KiB)
    hot = re.search(r"^  (0x[0-9a-f]+) +\d+ ", run("stat", trace).split("hottest RIPs", 1)[1], re.M).group(1)
    hits = [int(l.split()[0]) for l in run("dump", trace, "--rip", hot).splitlines() if l.strip()]
    out = gdb_session(trace, [f"break *{hot}", "continue", "monitor where", "continue", "monitor where",
                              "continue", "monitor where", "reverse-continue", "monitor where",
                              "reverse-continue", "monitor where", "reverse-continue", "monitor where"],
                      "--checkpoint-every", "4", "--checkpoint-mem", "1M")
    want = [hits[0], hits[1], hits[2], hits[1], hits[0], 0]
    check(wheres(out) == want, f"break *{hot}: continue x3, reverse-continue x3: steps {wheres(out)}, want {want}")
    m = re.findall(r"(\d+) checkpoints every (\d+) steps, ([0-9.]+) of 1 MiB", out)
    check(m and int(m[-1][1]) > 4 and float(m[-1][2]) <= 1.0,
          f"the 1 MiB bound did not thin the checkpoints out: {m}")

    check(hashlib.sha256(open(trace, "rb").read()).hexdigest() == digest, "the gdb sessions changed the trace")

    # two vCPUs: gdb's threads; each step's registers are its vCPU's, forward and back across checkpoints
    smp = os.path.join(d, "ipi.xtr")
    run("record", "--scenario", "ipi", "-o", smp, "--quiet", ok=(0, 3))
    v1 = [int(l.split()[0]) for l in run("dump", smp, "--vcpu", "1").splitlines() if re.match(r"\s*\d+ v1#", l)]
    steps = [v1[-1], v1[len(v1) // 2], v1[0] - 1]  # vCPU 1's last, its middle, and a step of vCPU 0
    cmds = ["info threads"]
    for n in steps:
        cmds += [f"monitor step {n}", "maintenance flush register-cache", f"echo =={n}\\n", INFO, "echo ==.\\n"]
    out = gdb_session(smp, cmds, "--checkpoint-every", "50")
    check(re.search(r"Thread 2\b", out) is not None, f"the 2-vCPU trace shows no second thread:\n{out}")
    check(wheres(out) == steps, f"2 vCPUs, monitor step {steps}: where says {wheres(out)}")
    vcpus = set()
    for n in steps:
        js = show(smp, n)
        vcpus.add(js["vcpu"])
        same_registers(registers(between(out, f"=={n}\n", "==.")), js, f"2 vCPUs, monitor step {n} (vCPU {js['vcpu']})")
    check(vcpus == {0, 1}, f"the steps checked were all of one vCPU: {vcpus}")

    # over a Unix socket
    sock = os.path.join(d, "gdb.sock")
    srv = subprocess.Popen([X, "replay", "--gdb-unix", sock, trace], stderr=subprocess.PIPE, text=True)
    check("target remote " + sock in srv.stderr.readline(), "--gdb-unix did not say where it listens")
    g = subprocess.run([GDB, "-batch", "-nx", "-ex", f"file {ELF}", "-ex", f"target remote {sock}",
                        "-ex", "monitor step 10", "-ex", "monitor where"], capture_output=True, text=True,
                       timeout=120)
    srv.wait(timeout=60)
    check(wheres(g.stdout + g.stderr) == [10, 10], f"--gdb-unix: where says {wheres(g.stdout + g.stderr)}:\n{g.stdout}{g.stderr}")
    check(not os.path.exists(sock), "--gdb-unix left its socket behind")

    # every other scenario: to the end, back, forward and back again across checkpoints every 7
    # steps, and still identical to the recording (a checkpoint restores all the guest depends on)
    for name in [l.split()[0] for l in run("scenarios").splitlines()]:
        if name in ("lapic-timer", "sti-irq", "ipi"):  # timed by the wall clock; checked above
            continue
        t = os.path.join(d, name + ".xtr")
        run("record", "--scenario", name, "-o", t, "--quiet", ok=(0, 1, 3))
        n = int(re.search(r"status: +complete: (\d+) steps", run("info", t)).group(1))
        moves = [n, n - 2, n // 3, n // 2 + 3, 1, n]
        out = gdb_session(t, [f"monitor step {moves[0]}", "reverse-stepi", "reverse-stepi", "monitor where"] +
                          [f"monitor step {k}" for k in moves[2:]] + ["monitor diverged"],
                          "--checkpoint-every", "7", elf=None)
        check(wheres(out) == moves and "replay has not diverged" in out,
              f"{name}: monitor step {moves}: where says {wheres(out)}:\n{out}")

    # a trace that does not replay identically (lapic-timer is timed by the wall clock): gdb stops
    # at the divergence with the difference, one step before it
    lt = os.path.join(d, "lapic.xtr")
    run("record", "--scenario", "lapic-timer", "-o", lt, "--quiet", ok=(0, 1, 3))
    out = gdb_session(lt, ["continue", "monitor where", "monitor diverged", "stepi", "monitor where"])
    m = re.search(r"exitrace: replay diverged from the recording at step (\d+) \(vCPU 0\): \w", out)
    if m:
        d_step = int(m.group(1))
        check(wheres(out) == [d_step, d_step],
              f"after the divergence at step {d_step}: where says {wheres(out)}, not that step twice")
        check(out.count(f"replay diverged from the recording at step {d_step}") >= 3,
              f"monitor diverged or stepi past it did not say it again:\n{out}")
    else:
        check("No more reverse-execution history" in out and "replay diverged" not in out,
              f"neither a divergence nor the end of the trace:\n{out}")
        print("note: lapic-timer replayed identically this time")

if not kvmtest.failures:
    print("gdb break, reverse-stepi, watch and reverse-continue, monitor step")
kvmtest.finish()
