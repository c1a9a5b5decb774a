#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
exitrace replay --gdb against gdb in batch mode, on fresh recordings of
built-in scenarios: a breakpoint on a symbol stops at the step `show`
finds for it; reverse-stepi gives exactly the step before's registers (as
`show --json` has them); a watchpoint on a guest variable stops after the
write going forward and before it going back; `monitor step N` then the
registers equal `show N`, forward and back across checkpoints; the trace
is not changed; a 2-vCPU trace shows its vCPUs as threads.
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

X, ELF = sys.argv[1:3]
if not os.access("/dev/kvm", os.R_OK | os.W_OK):
    print("SKIP: no usable /dev/kvm")
    sys.exit(77)
GDB = shutil.which("gdb")
if not GDB:
    print("SKIP: gdb is not installed")
    sys.exit(77)
failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {msg}")
    return cond


def run(*args, ok=(0,)):
    p = subprocess.run([X, *args], capture_output=True, text=True, timeout=200)
    check(p.returncode in ok, f"exitrace {' '.join(args)}: exit status {p.returncode}; {p.stderr.strip()}")
    return p.stdout


def show(trace, step):
    return json.loads(run("show", trace, str(step), "--json"))


def gdb_session(trace, commands, *server_args):
    """Serve trace on a free port, run gdb's commands against it; gdb's output."""
    srv = subprocess.Popen([X, "replay", "--gdb", "127.0.0.1:0", *server_args, trace],
                           stderr=subprocess.PIPE, text=True)
    line = srv.stderr.readline()
    m = re.search(r"target remote 127\.0\.0\.1:(\d+)", line)
    if not check(m, f"the server did not say where it listens: {line!r}"):
        srv.kill()
        return ""
    argv = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", f"file {ELF}",
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
    out = gdb_session(trace, ["watch irqs", "continue", "monitor where", "continue", "monitor where",
                              "reverse-continue", "monitor where", "echo ==I\\n", "x/i $pc", "print irqs",
                              "echo ==J\\n", "reverse-continue", "monitor where"], "--checkpoint-every", "200")
    w = wheres(out)
    total = int(re.search(r"of (\d+)", out).group(1)) if re.search(r"of (\d+)", out) else -1
    if check(len(w) == 4, f"watch irqs: where said {w}:\n{out}"):
        write = w[0]
        check("Old value = 0" in out and "New value = 1" in out, f"no old/new value of irqs:\n{out}")
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

    check(hashlib.sha256(open(trace, "rb").read()).hexdigest() == digest, "the gdb sessions changed the trace")

    # two vCPUs: gdb's threads
    smp = os.path.join(d, "ipi.xtr")
    run("record", "--scenario", "ipi", "-o", smp, "--quiet", ok=(0, 3))
    out = gdb_session(smp, ["info threads", "monitor step 200", "monitor where"])
    check(re.search(r"Thread 2\b", out) is not None, f"the 2-vCPU trace shows no second thread:\n{out}")
    check(wheres(out) == [200, 200], f"2 vCPUs, monitor step 200 and where: {wheres(out)}")

if failures:
    print(f"{failures} failures")
    sys.exit(1)
print("ok: gdb break, reverse-stepi, watch and reverse-continue, monitor step")
