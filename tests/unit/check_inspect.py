#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Reading a trace as code: the instruction and symbol at each RIP (dump, diff,
stat and their JSON), `show`, the filters and `export`, on the archived
traces of tests/data (built-in scenarios recorded by exitrace itself), so
no /dev/kvm is needed.  Each check names what it wanted and what it got.

usage: check_inspect.py EXITRACE DATA_DIR GEN_TRACE GUEST_ELF_DIR
"""
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile

X, DATA, GEN, ELFS = sys.argv[1:5]
failures = 0


def run(*args, status=0):
    p = subprocess.run([X, *args], capture_output=True, text=True, timeout=120)
    if p.returncode != status:
        fail(f"exitrace {' '.join(args)}: exit status {p.returncode}, wanted {status}; stderr: {p.stderr.strip()}")
    return p.stdout


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def lines_matching(text, pattern):
    return [l for l in text.splitlines() if re.search(pattern, l)]


sti = os.path.join(DATA, "sti_irq.xtr")
sti_block = os.path.join(DATA, "sti_irq_block.xtr")
exc = os.path.join(DATA, "exceptions.xtr")

# ---- dump: instruction and symbol at each step's RIP --------------------------------------
dump = run("dump", sti)
# sti-irq: sti at sti_insn, the xor in its shadow, cpuid at sti_after, then the IRQ's arrival
for step, code in ((702, "<sti_insn> sti"), (703, "<sti_shadow> xor eax, eax"), (704, "<sti_after> cpuid"),
                   (705, "<rt_vectors+0x302> push 0x30")):
    l = lines_matching(dump, rf"^\s+{step}  rip=")
    check(len(l) == 1 and code in l[0], f"dump step {step}: wanted '{code}', got {l}")
# a call's or jump's target is named as objdump names it
l = lines_matching(dump, r"^\s+12  rip=")
check(len(l) == 1 and re.search(r"call 0x[0-9a-f]+ <main> ", l[0]),
      f"dump step 12: wanted 'call 0x... <main>', got {l}")
check(any(re.search(r"j[a-z]+ 0x[0-9a-f]+ <[a-z_]+\+0x[0-9a-f]+>", x) for x in dump.splitlines()),
      "dump: a conditional jump's target as <symbol+off>")
# the mode of each step: 16-bit real mode and 32-bit protected mode decode as such
real = run("dump", os.path.join(DATA, "real_mode.xtr"), "--to", "2")
check("mov si, 0x7c13" in real, f"real mode: wanted 'mov si, 0x7c13' (16-bit), got {real!r}")
prot = run("dump", os.path.join(DATA, "prot_mode.xtr"), "--to", "1")
check("mov esi, 0x100016" in prot, f"protected mode: wanted 'mov esi, 0x100016' (32-bit), got {prot!r}")
# an exception handler's entry: #UD at exc_ud goes to the IDT's vector 6 stub
exd = run("dump", exc, "--event", "irq-taken")
l = lines_matching(exd, r"^\s+672  rip=")
check(l and "<rt_vectors+0x62> push 0x6" in l[0], f"exceptions step 672 (#UD handler entry): got {l}")
# JSON: sym, insn, bytes, and that they come from initial memory
j = [json.loads(x) for x in run("dump", "--json", sti, "--from", "704", "--to", "704").splitlines()]
s704 = [x for x in j if x.get("step") == 704 and "rip" in x]
check(s704 and s704[0].get("insn") == "cpuid" and s704[0].get("sym") == "sti_after" and
      s704[0].get("insn_bytes") == "0fa2" and s704[0].get("code") == "initial",
      f"dump --json step 704: got {s704}")

# ---- diff: hunk header and step lines -------------------------------------------------------
diff = run("diff", sti, sti_block, status=1)
check("first divergence at step 705, rip 0x2014ea (<sti_after> cpuid after <sti_shadow> xor eax, eax):" in diff,
      f"diff hunk header without the instructions: {diff[:600]!r}")
check(any("<sti_after+0x2> nop" in l for l in diff.splitlines() if l.startswith("+")),
      "diff: B's step line after the STI window shows '<sti_after+0x2> nop'")
dj = json.loads(run("diff", "--json", sti, sti_block, status=1))
h = dj["hunks"][0]
check(h.get("insn") == "cpuid" and h.get("sym") == "sti_after", f"diff --json hunk: got insn {h.get('insn')}, sym {h.get('sym')}")
# the mnemonic table of old is gone: an instruction it did not know is named too
check(not re.search(r"\b[0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2} \.\.\.", diff), "diff still shows raw bytes for an instruction")

# diff's filters choose the hunks printed; the summary and status still count all of them
df = run("diff", sti, sti_block, "--event", "irq-taken", status=1)
check(df.count("divergence at step") == 1 and "first divergence at step 705" in df and
      "1 hunk not shown" in df and "2 hunks;" in df, f"diff --event irq-taken: {df}")
dfr = json.loads(run("diff", "--json", sti, sti_block, "--rip", "sti_cli", status=1))
check([h["index"] for h in dfr["hunks"]] == [2] and dfr["summary"]["hunks"] == 2,
      f"diff --json --rip sti_cli: hunks {[h['index'] for h in dfr['hunks']]}")
dfs = run("diff", sti, sti_block, "--exit", "SHUTDOWN", status=1)
check("divergence" not in dfs and "2 hunks not shown" in dfs, f"diff --exit SHUTDOWN: {dfs}")

# ---- stat: hottest RIPs ----------------------------------------------------------------------
st = run("stat", sti)
check(re.search(r"0x2010e4\s+57\s+<rt_print\+0x14> out dx, al", st), f"stat's hottest RIPs without code: {st}")
sj = json.loads(run("stat", "--json", sti))
check(any(r.get("insn") == "out dx, al" and r.get("sym") == "rt_print+0x14" for r in sj["hot_rips"]),
      f"stat --json hot_rips: {sj['hot_rips'][:3]}")

# ---- filters ---------------------------------------------------------------------------------
io_lines = lines_matching(run("dump", sti, "--exit", "IO"), r"^\s+\d+  rip=")
check(len(io_lines) == sj["exits"]["IO"] and all(" IO " in l for l in io_lines),
      f"dump --exit IO: {len(io_lines)} lines, stat counts {sj['exits']['IO']} IO exits")
ev = run("dump", sti, "--event", "irq-taken")
check(ev.count("\n") == 2 and "705  rip=" in ev and "+ irq-taken vector=0x30" in ev,
      f"dump --event irq-taken: wanted step 705 and its arrival, got {ev!r}")
both = lines_matching(run("dump", sti, "--exit", "debug", "--rip", "0x2014e7-0x2014eb"), r"rip=")
check([l.split()[0] for l in both] == ["703", "704"], f"--exit debug --rip 0x2014e7-0x2014eb: got {both}")
sym = lines_matching(run("dump", sti, "--rip", "sti_after"), r"rip=")
check(len(sym) == 2 and all("<sti_after" in l for l in sym), f"--rip sti_after (the label up to sti_cli): {sym}")
stf = json.loads(run("stat", "--json", sti, "--rip", "rt_print", "--exit", "IO"))
check(stf["steps"] == 57 and stf["exits"] == {"IO": 57} and stf["filtered"], f"stat --rip rt_print --exit IO: {stf}")
ste = json.loads(run("stat", "--json", sti, "--event", "irq-taken"))
check(ste["steps"] == 1 and ste["irqs"] == [{"vector": 48, "injected": 0, "taken": 1}],
      f"stat --event irq-taken: {ste}")
run("dump", sti, "--exit", "NOPE", status=2)
run("dump", sti, "--event", "nope", status=2)
run("dump", sti, "--rip", "no_such_symbol", status=2)
run("stat", sti, "--rip", "9-3", status=2)
# --vcpu with another filter on a trace of three vCPUs
with tempfile.TemporaryDirectory() as d:
    three = os.path.join(d, "three.xtr")
    subprocess.run([GEN, three, "3"], check=True, stdout=subprocess.DEVNULL)
    all1 = json.loads(run("stat", "--json", three, "--vcpu", "1"))
    io1 = json.loads(run("stat", "--json", three, "--vcpu", "1", "--exit", "IO"))
    check(io1["steps"] == all1["exits"].get("IO", 0) and io1["steps"] > 0,
          f"stat --vcpu 1 --exit IO: {io1['steps']} steps, vCPU 1 has {all1['exits'].get('IO')} IO exits")
    dl = lines_matching(run("dump", three, "--vcpu", "1", "--exit", "IO"), r"rip=")
    check(len(dl) == io1["steps"] and all(" v1#" in l for l in dl), f"dump --vcpu 1 --exit IO: {len(dl)} lines")

# ---- show ------------------------------------------------------------------------------------
sh = run("show", sti, "705")
for want in ("step 705: rip 0x200342 <rt_vectors+0x302> push 0x30", "ran: rip 0x2014ea <sti_after> cpuid",
             "arrival: vector 0x30, external, handler", "the interrupted instruction: <sti_after> cpuid",
             "delivered to the handler at 0x200340 <rt_vectors+0x300>",
             "stack-frame  an interrupt frame holding the interrupted RIP is on the guest stack",
             "rax=0x0", "cs.selector=0x8", "interrupt.nr=0x30", "debug.dr6=0xffff4ff0"):
    check(want in sh, f"show 705: no '{want}' in:\n{sh}")
check("sti_after" in run("show", sti, "sti_after").splitlines()[0] and
      run("show", sti, "sti_after").startswith("step 704:"), "show sti_after is step 704")
run("show", sti, "sti_after#2", status=2)
check(run("show", sti, "rt_print#1").startswith("step "), "show rt_print#1")
shm = run("show", sti, "1", "--mem", "0x2014ea", "4")
check(re.search(r"2014ea\s+0f a2 90 fa", shm) and "as it was at step 0" in shm, f"show --mem: {shm}")
shj = json.loads(run("show", "--json", exc, "672", "--mem", "0x2014e0", "2"))
check(shj["insn"] == "push 0x6" and shj["ran"]["insn"] == "ud2" and shj["ran"]["sym"] == "exc_ud" and
      shj["arrivals"][0]["vector"] == 6 and [e["name"] for e in shj["arrivals"][0]["evidence"]] ==
      ["stack-frame", "idt", "instruction"] and shj["mem"] == {"gpa": "0x2014e0", "len": 2, "initial": True, "hex": "0f0b"},
      f"show --json exceptions 672: {json.dumps(shj)[:800]}")
check(shj["state"]["rip"] == "0x2000a2" and shj["exit"]["reason"] == "DEBUG", "show --json state and exit")
run("show", sti, "99999", status=2)
run("show", sti, "nosuch#1", status=2)

# ---- --symbols FILE: another ELF's names (the build's sti-irq, linked like the archived one) ----
elf = os.path.join(ELFS, "sti-irq.elf")
own = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
funcs = sorted((int(a, 16), n) for a, t, n in re.findall(r"^([0-9a-f]+) ([Tt]) (\S+)$", own, re.M))
name, at = [(n, a) for a, n in funcs if a <= 0x2014ea][-1]
want = f"<{name}+0x{0x2014ea - at:x}>" if at != 0x2014ea else f"<{name}>"
sd = lines_matching(run("dump", sti, "--symbols", elf, "--from", "704", "--to", "704"), r"rip=")
check(sd and want in sd[0], f"dump --symbols {elf}: step 704 (rip 0x2014ea) wanted {want}, got {sd}")
run("dump", sti, "--symbols", "/nonexistent", status=2)

# ---- export ----------------------------------------------------------------------------------
rows = list(csv.reader(io.StringIO(run("export", "--format", "csv", sti))))
check(rows[0] == ["step", "vcpu", "vcpu_step", "rip", "symbol", "insn", "exit", "exit_detail", "events"],
      f"csv header: {rows[0]}")
check(len(rows) == 1 + 1079 and [r[0] for r in rows[1:]] == [str(i) for i in range(1, 1080)],
      f"csv: one row per step, wanted 1079, got {len(rows) - 1}")
r705 = rows[705]
check(r705[4] == "rt_vectors+0x302" and r705[5] == "push 0x30" and r705[8] == "irq-taken:0x30",
      f"csv row 705: {r705}")
check(rows[3][5] == "mov ds, ax" and rows[2][5] == "mov eax, 0x10", f"csv rows 2, 3 (a quoted comma): {rows[2]}, {rows[3]}")
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "sti.json")
    run("export", "--format", "perfetto", sti, "-o", out)
    with open(out) as f:
        pf = json.load(f)
    evs = pf["traceEvents"]
    schema = {"X": {"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"},
              "i": {"name", "cat", "ph", "s", "ts", "pid", "tid", "args"},
              "M": {"name", "ph", "pid", "tid", "args"}}
    for e in evs:
        if not check(e.get("ph") in schema and schema[e["ph"]] <= set(e), f"perfetto event fields: {e}"):
            break
        if e["ph"] != "M":
            check(isinstance(e["ts"], int) and isinstance(e["pid"], int) and isinstance(e["tid"], int),
                  f"perfetto ts/pid/tid are integers: {e}")
    names = {e["tid"]: e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
    check(names.get(1, "").startswith("vCPU 0") and "ktrace" in names.get(2, ""), f"perfetto tracks: {names}")
    slices = [e for e in evs if e["ph"] == "X"]
    check(len(slices) == 1079 and all(e["tid"] == 1 and e["dur"] == 1 for e in slices), f"perfetto: {len(slices)} slices")
    s704 = [e for e in slices if e["ts"] == 704]
    check(s704 and s704[0]["args"]["insn"] == "cpuid" and s704[0]["args"]["sym"] == "sti_after", f"slice 704: {s704}")
    inst = [(e["cat"], e["ts"]) for e in evs if e["ph"] == "i" and e["cat"] in ("irq-inject", "irq-taken")]
    check(inst == [("irq-inject", 701), ("irq-taken", 705)], f"perfetto instants: {inst}")
    th = os.path.join(d, "three.xtr")
    subprocess.run([GEN, th, "3"], check=True, stdout=subprocess.DEVNULL)
    p3 = json.loads(run("export", "--format", "perfetto", th))
    tids = {e["tid"] for e in p3["traceEvents"] if e["ph"] == "X"}
    check(tids == {1, 2, 3}, f"perfetto of three vCPUs: slices on tracks {tids}")
run("export", sti, status=2)
run("export", "--format", "xml", sti, status=2)

print(f"{failures} failure(s)" if failures else "all checks passed")
sys.exit(1 if failures else 0)
