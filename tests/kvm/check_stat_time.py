#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
record --capture time and stat's time per exit: the io scenario
(io-mmio-cpuid-rdtsc-hlt) recorded with time lists every exit reason it
made with plausible times (non-zero, min <= mean <= max, p99 <= max, the
totals adding up and within the recording's wall clock), in text and in
--json, filters still apply, the trace replays; the same with --no-step
and with two vCPUs in lock-step (each vCPU's own time); a trace without
time says so.  Skips (77) without a usable /dev/kvm.

Attach mode too: `record --capture time -- mini_vmm` (a VMM of our own).

usage: check_stat_time.py EXITRACE MINI_VMM
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import kvmtest
from kvmtest import check

X, MINI_VMM = sys.argv[1:3]
kvmtest.need_kvm()


run = kvmtest.runner(X)




def record(path, *args):
    """Records and returns the wall-clock seconds the whole command took."""
    t = time.monotonic()
    # the io scenario ends with isa-debug-exit: status (value << 1) | 1
    run("record", *args, "-o", path, "--quiet", "--console", "/dev/null", ok=(0, 1, 3))
    return time.monotonic() - t


def plausible(name, s):
    """One exit reason's (or port's) times, in ns, as stat --json gives them."""
    check(s["count"] > 0 and s["min_ns"] > 0, f"{name}: non-zero times: {s}")
    check(s["min_ns"] <= s["mean_ns"] <= s["max_ns"], f"{name}: min <= mean <= max: {s}")
    check(s["min_ns"] <= s["p99_ns"] <= s["max_ns"], f"{name}: min <= p99 <= max: {s}")
    # the mean is total / count (both rounded to ns by stat)
    check(abs(s["mean_ns"] * s["count"] - s["total_ns"]) <= s["count"], f"{name}: mean = total / count: {s}")
    # a KVM_RUN of a single step takes a microsecond or more on any host, and less than the run
    check(s["min_ns"] >= 100, f"{name}: a KVM_RUN under 100 ns is no KVM_RUN: {s}")


def ns_ints(o):
    """exitrace-json/1 writes nanoseconds as decimal strings (docs/json.md): numbers here."""
    if isinstance(o, dict):
        return {k: int(v) if k.endswith("_ns") and isinstance(v, str) else ns_ints(v) for k, v in o.items()}
    if isinstance(o, list):
        return [ns_ints(v) for v in o]
    return o


def stat_json(path, *args):
    return ns_ints(json.loads(run("stat", "--json", path, *args)))


def check_time(name, path, wall, exits_expected=None, *args):
    st = stat_json(path, *args)
    t = st.get("time")
    if not check(t is not None, f"{name}: stat --json has time: {st}"):
        return None
    check(t["time_hz"] > 0, f"{name}: time_hz {t['time_hz']}")
    # every exit reason counted has its times, with the same count
    check(set(t["exits"]) == set(st["exits"]), f"{name}: every exit reason timed: {t['exits'].keys()} vs {st['exits']}")
    for reason, s in t["exits"].items():
        check(s["count"] == st["exits"].get(reason), f"{name} {reason}: count {s['count']} vs {st['exits']}")
        plausible(f"{name} {reason}", s)
    if exits_expected:
        check(exits_expected <= set(t["exits"]), f"{name}: exits {exits_expected} all there: {t['exits'].keys()}")
    total = sum(s["total_ns"] for s in t["exits"].values())
    check(abs(total - t["run_ns"]) <= len(t["exits"]), f"{name}: reasons' totals add up to run_ns: {total} vs {t['run_ns']}")
    # what the steps took in and after KVM_RUN happened while the recorder ran
    check(0 < t["run_ns"] + t["after_ns"] <= wall * 1e9, f"{name}: {t['run_ns']} + {t['after_ns']} ns within {wall} s")
    info = ns_ints(json.loads(run("info", "--json", path)))
    dur = info["end"]["duration_ns"]
    # the footer's duration runs from the first KVM_RUN to the end: the steps' times lie within it
    # (5 %: the TSC's rate is measured against CLOCK_MONOTONIC at start, which a loaded host skews)
    check(t["run_ns"] + t["after_ns"] <= dur * 1.05, f"{name}: within the recording's {dur} ns: {t}")
    return st


with tempfile.TemporaryDirectory() as d:
    io = os.path.join(d, "io.xtr")
    wall = record(io, "--scenario", "io-mmio-cpuid-rdtsc-hlt", "--capture", "time")
    st = check_time("io", io, wall, {"IO", "MMIO", "DEBUG"})
    if st:
        t = st["time"]
        ports = {(p["port"], p["direction"]): p for p in t["io_ports"]}
        # the serial console's writes and isa-debug-exit's are ports of their own
        check(("0x3f8", "out") in ports and ("0xf4", "out") in ports, f"io: ports: {sorted(ports)}")
        for k, p in ports.items():
            plausible(f"io port {k}", p)
        check(sum(p["count"] for p in t["io_ports"]) == st["exits"]["IO"], "io: port counts add up to IO")
        check(sum(m["count"] for m in t["mmio"]) == st["exits"]["MMIO"] and
              {m["access"] for m in t["mmio"]} == {"read", "write"}, f"io: MMIO read and write: {t['mmio']}")
        for m in t["mmio"]:
            plausible(f"io mmio {m['addr']}", m)
        # after: all but the trace's last step have a gap after them
        check(sum(s["after_count"] for s in t["exits"].values()) == st["steps"] - 1, f"io: after counts: {t['exits']}")

    # the text report: each reason's row, numbers in the same order as the header's columns
    text = run("stat", io)
    check("time per exit" in text and "p99 us" in text, f"io: stat text has the time table: {text[:600]}")
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(IO|DEBUG|MMIO)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+|-)$", line)
        if m:
            rows[m.group(1)] = [float(x) for x in m.groups()[1:7]]
    if check(set(rows) == {"IO", "DEBUG", "MMIO"}, f"io: text rows for IO, DEBUG, MMIO: {rows}\n{text}"):
        for r, (count, total_ms, mean, lo, hi, p99) in rows.items():
            check(count > 0 and 0 < lo <= mean <= hi and lo <= p99 <= hi and total_ms > 0,
                  f"io text {r}: {rows[r]}")
    check("host time of these steps:" in text, "io: the text sums the host time up")

    # filters apply to the times too
    st_io = stat_json(io, "--exit", "IO")
    check(st_io.get("time") and set(st_io["time"]["exits"]) == {"IO"} and st_io["time"]["mmio"] == [],
          f"io --exit IO: only IO timed: {st_io.get('time')}")
    st_rip = stat_json(io, "--rip", "rt_print")
    check(st_rip.get("time") and st_rip["time"]["run_ns"] < st["time"]["run_ns"],
          f"io --rip rt_print: fewer steps, less time: {st_rip.get('time', {}).get('run_ns')}")

    # exports: CSV's run_ns and gap_ns columns, Perfetto's slices on the host's time axis
    rows = run("export", "--format", "csv", io).splitlines()
    check(rows[0].endswith(",events,run_ns,gap_ns"), f"csv header with time: {rows[0]}")
    runs = [int(r.rsplit(",", 2)[1]) for r in rows[1:]]
    check(len(runs) == st["steps"] and all(x > 0 for x in runs), f"csv: a run_ns per step: {len(runs)}")
    check(abs(sum(runs) - st["time"]["run_ns"]) <= st["steps"], f"csv: run_ns adds up to stat's {sum(runs)}")
    pf = json.loads(run("export", "--format", "perfetto", io))
    check("host time" in pf["otherData"]["time_axis"], f"perfetto time axis: {pf['otherData']}")
    sl = [e for e in pf["traceEvents"] if e["ph"] == "X"]
    check(len(sl) == st["steps"] and all(e["dur"] > 0 for e in sl), "perfetto: a slice per step, each lasting")
    check(all(a["ts"] + a["dur"] <= b["ts"] + 0.002 for a, b in zip(sl, sl[1:])),
          "perfetto: one vCPU's KVM_RUNs follow each other without overlapping")
    check(abs(sum(e["dur"] for e in sl) * 1e3 - st["time"]["run_ns"]) <= st["steps"], "perfetto: durations add up")

    # dump and show: a step's KVM_RUN and the gap before it, not the cumulative clocks as changed fields
    dj = [ns_ints(json.loads(l)) for l in run("dump", "--json", io).splitlines()]
    dsteps = [x for x in dj if "rip" in x]
    check(all("time" in x and x["time"]["run_ns"] > 0 and not any(k.startswith("time.") for k in x["changed"])
              for x in dsteps), f"dump --json: time of every step, no time.* in changed: {dsteps[:2]}")
    check(abs(sum(x["time"]["run_ns"] for x in dsteps) - st["time"]["run_ns"]) <= st["steps"],
          "dump --json: run_ns adds up to stat's")
    line = run("dump", io, "--from", "1", "--to", "1")
    check(re.search(r"run=[\d.]+us gap=[\d.]+us", line) and "time.run" not in line, f"dump text: {line}")
    sh = run("show", io, "100")
    check(re.search(r"^time: its KVM_RUN took [\d.]+ us", sh, re.M), f"show: {sh[:400]}")

    # time is never a divergence: the trace replays
    rep = run("replay", io, ok=(0,))
    check("identical" in rep, f"io: replay of a time-captured trace: {rep}")

    # --no-step: one exit a step, the same clocks
    ns = os.path.join(d, "io-nostep.xtr")
    wall = record(ns, "--scenario", "io-mmio-cpuid-rdtsc-hlt", "--capture", "time", "--no-step")
    check_time("io --no-step", ns, wall, {"IO", "MMIO"})

    # two vCPUs in lock-step: each vCPU's steps have times of their own
    ipi = os.path.join(d, "ipi.xtr")
    wall = record(ipi, "--scenario", "ipi", "--capture", "time")
    for v in ("0", "1"):
        check_time(f"ipi vCPU {v}", ipi, wall, None, "--vcpu", v)
    check_time("ipi", ipi, wall)

    # without time: said, and the counts still there
    plain = os.path.join(d, "plain.xtr")
    record(plain, "--scenario", "io-mmio-cpuid-rdtsc-hlt")
    text = run("stat", plain)
    check("time: not captured" in text and re.search(r"^IO\s+\d+", text, re.M), f"no time: {text[:400]}")
    check(stat_json(plain)["time"] is None, "no time: json time is null")

    check("regs,sregs,events,exit,time" in run("info", io), "info names the time capture")
    check(json.loads(run("info", "--json", io))["vm"]["time_hz"] == st["time"]["time_hz"], "info --json: time_hz")
    # a replay's new trace does not claim clocks it never read
    re_out = os.path.join(d, "replayed.xtr")
    run("replay", io, "-o", re_out)
    check(stat_json(re_out)["time"] is None, "replay -o: no time in the new trace")

    # attach mode: the VMM's own KVM_RUNs timed the same way (mini_vmm exits 3; two VMs, two traces)
    att = os.path.join(d, "att.xtr")
    t0 = time.monotonic()
    run("record", "--capture", "time", "-o", att, "--quiet", "--", MINI_VMM, ok=(3,))
    wall = time.monotonic() - t0
    check_time("attach", att, wall)
    st2 = check_time("attach VM 2", att + ".1", wall)
    if st2:
        for v in ("0", "1"):
            check_time(f"attach VM 2 vCPU {v}", att + ".1", wall, None, "--vcpu", v)

kvmtest.finish()
