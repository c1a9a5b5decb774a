#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hold format/SPEC.md against the traces libexitrace writes.

The trace is read without libexitrace: the container by hand, the frames
by the zstd CLI, the records by cbor2.  What the records may hold is not
written down here but parsed out of SPEC.md (its record-type, block, field
and key tables), so a change to the format that SPEC.md does not follow
fails this test, and so does a table in SPEC.md that the code does not
follow.

usage: check_spec.py GEN_TRACE SPEC.md [CDDL]   the checks (meson test spec-conformance),
                                                on a trace of one vCPU and one of three
       check_spec.py --table GEN_TRACE           print SPEC.md's field table from the code

Given the CDDL schema too, it checks that its record rules have the keys,
optional keys and record types of SPEC.md's tables.
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

try:
    import cbor2
except ImportError:
    sys.exit("check_spec.py needs cbor2: apt-get install python3-cbor2")

SKIPPABLE_MAGIC = 0x184D2A5E
ZSTD_MAGIC = 0xFD2FB528
MARK_SIZE = 20
TRAILER_SIZE = 24
U64 = 1 << 64

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) > 50:
        finish()


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def finish():
    for f in failures:
        print("FAIL:", f)
    print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    sys.exit(1 if failures else 0)


# ---- the library's own field table, as gen_trace prints it ----

def run_gen(gen, out, vcpus=1):
    p = subprocess.run([gen, out, str(vcpus)], capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s failed:\n%s" % (gen, p.stderr))
    tsv = p.stdout
    fields = {}
    for line in tsv.splitlines():
        fid, name, kind, block, exit_reason, mask = line.split("\t")
        bname, bnum = block.split(":")
        fields[int(fid)] = dict(name=name, kind=kind, block=bname, bit=int(bnum),
                                exit=exit_reason, mask=int(mask, 16))
    return fields


def fmt_exit(e):
    if e == "any":
        return "any"
    name, num = e.split(":")
    return "%s (%s)" % (name, num)


def fmt_mask(m):
    return "all" if m == U64 - 1 else "0" if m == 0 else "0x%x" % m


def print_table(fields):
    print("| id | name | kind | block | exit | mask |")
    print("|---:|---|---|---|---|---|")
    for fid, f in sorted(fields.items()):
        print("| %d | `%s` | %s | %s | %s | %s |" % (fid, f["name"], f["kind"], f["block"],
                                                    fmt_exit(f["exit"]), fmt_mask(f["mask"])))


# ---- SPEC.md's tables ----

def spec_tables(text):
    """The first markdown table under each heading: {heading: [rows]}.

    Later tables under the same heading are kept as {(heading, n): rows},
    out of the way of the tables the checks look up by name.
    """
    tables, heading, rows = {}, None, None
    for line in text.splitlines():
        if line.startswith("#"):
            heading, rows = line.lstrip("#").strip(), None
            continue
        if not line.startswith("|"):
            rows = None
            continue
        cells = [c.strip().replace("`", "") for c in line.strip().strip("|").split("|")]
        if all(c and set(c) <= set("-: ") for c in cells):
            continue
        if rows is None:
            rows, n = [], 1
            while (heading if n == 1 else (heading, n)) in tables:
                n += 1
            tables[heading if n == 1 else (heading, n)] = rows
            continue  # the column names
        rows.append(cells)
    return tables


def need(tables, heading):
    if heading not in tables:
        sys.exit("SPEC.md has no table under a heading '%s'" % heading)
    return tables[heading]


class Keys:
    """A key table: key -> (name, type, required)."""

    def __init__(self, title, rows):
        self.title = title
        self.keys = {}
        for r in rows:
            if not re.fullmatch(r"\d+", r[0]):
                continue  # e.g. the step record's "field id" row
            self.keys[int(r[0])] = (r[1], r[2], r[3] == "yes")
        self.seen = set()


def spec_keys(tables):
    keys = {}
    for heading, rows in tables.items():
        m = isinstance(heading, str) and re.fullmatch(r"Keys: (.*)", heading)
        if m:
            what = m.group(1)
            k = re.fullmatch(r"event kind (\d+) \(([a-z-]+)\)", what)
            keys[int(k.group(1)) if k else what] = Keys(what, rows)
    return keys


# ---- the container ----

def le(buf, off, n):
    return int.from_bytes(buf[off:off + n], "little")


def container(buf):
    """Split the file into frames: dicts with off, end, kind and (zstd) size."""
    frames, off = [], 0
    while off < len(buf):
        magic = le(buf, off, 4)
        if magic & 0xFFFFFFF0 == 0x184D2A50:
            size = le(buf, off + 4, 4)
            frames.append(dict(off=off, end=off + 8 + size, kind="skip", magic=magic,
                               data=buf[off + 8:off + 8 + size]))
            off += 8 + size
            continue
        if not check(magic == ZSTD_MAGIC, "no frame at offset %d" % off):
            break
        d = buf[off + 4]
        fcs_flag, single, checksum, dict_flag = d >> 6, d >> 5 & 1, d >> 2 & 1, d & 3
        fcs_len = 1 if fcs_flag == 0 and single else (0, 2, 4, 8)[fcs_flag]
        check(fcs_len > 0, "frame at %d does not carry its content size" % off)
        check(checksum, "frame at %d has no content checksum" % off)
        check(dict_flag == 0, "frame at %d names a dictionary" % off)
        p = off + 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
        size = le(buf, p, fcs_len) + (256 if fcs_len == 2 else 0)
        p += fcs_len
        while True:
            head = le(buf, p, 3)
            p += 3
            btype = head >> 1 & 3
            check(btype != 3, "frame at %d: reserved block type" % off)
            p += 1 if btype == 1 else head >> 3
            if head & 1:
                break
        p += 4 if checksum else 0
        frames.append(dict(off=off, end=p, kind="zstd", size=size))
        off = p
    return frames


def check_file_ends(buf):
    check(le(buf, 0, 4) == SKIPPABLE_MAGIC, "the file starts with skippable magic 0x184D2A5E")
    check(le(buf, 4, 4) == MARK_SIZE - 8, "the file mark's frame size is 12")
    check(buf[8:16] == b"EXITRACE", "the file mark says EXITRACE")
    major, minor = le(buf, 16, 2), le(buf, 18, 2)
    t = buf[-TRAILER_SIZE:]
    check(le(t, 0, 4) == SKIPPABLE_MAGIC, "the trailer starts with skippable magic 0x184D2A5E")
    check(le(t, 4, 4) == TRAILER_SIZE - 8, "the trailer's frame size is 16")
    check(t[8:16] == b"XTFOOTER", "the trailer says XTFOOTER")
    return major, minor, le(t, 16, 8)


# ---- CBOR: well-formed, definite, shortest, nothing but ints, strings, arrays, maps ----

def walk(data, pos, where):
    ib = data[pos]
    mt, ai = ib >> 5, ib & 31
    pos += 1
    if ai < 24:
        val = ai
    elif ai <= 27:
        n = 1 << (ai - 24)
        val = int.from_bytes(data[pos:pos + n], "big")
        pos += n
        check(val >= (24, 0x100, 0x10000, 0x100000000)[ai - 24],
              "%s: an item head longer than needed" % where)
    else:
        fail("%s: %s" % (where, "an indefinite length" if ai == 31 else "a reserved head"))
        raise ValueError(where)
    if mt in (0, 1):
        return pos
    if mt in (2, 3):
        return pos + val
    if mt == 4:
        for _ in range(val):
            pos = walk(data, pos, where)
        return pos
    if mt == 5:
        keys = set()
        for _ in range(val):
            start = pos
            pos = walk(data, pos, where)
            check(data[start:pos] not in keys, "%s: a key twice in one map" % where)
            keys.add(data[start:pos])
            pos = walk(data, pos, where)
        return pos
    fail("%s: a %s, which the format does not use" % (where, "tag" if mt == 6 else "simple value"))
    raise ValueError(where)


def records(data, where):
    """The records of a frame: an RFC 8742 sequence of maps."""
    out, pos = [], 0
    while pos < len(data):
        end = walk(data, pos, "%s, byte %d" % (where, pos))
        out.append(cbor2.loads(data[pos:end]))
        pos = end
    return out


# ---- records against the key tables ----

def is_uint(v):
    return type(v) is int and 0 <= v < U64


def is_int(v):
    return type(v) is int and -(1 << 63) <= v < (1 << 63)


def type_ok(t, v):
    if t.startswith("["):
        return isinstance(v, list)
    if t.startswith("{") or t == "state":
        return isinstance(v, dict)
    return {"uint": is_uint, "int": is_int, "tstr": lambda x: isinstance(x, str),
            "bstr": lambda x: isinstance(x, bytes)}[t](v)


def check_map(spec, m, where, skip=()):
    """Keys and value types of one record or nested map; returns m."""
    if not check(isinstance(m, dict), "%s: not a map" % where):
        return {}
    for k, v in m.items():
        if k in skip:
            continue
        if not check(k in spec.keys, "%s: key %r is not in SPEC.md's 'Keys: %s'"
                     % (where, k, spec.title)):
            continue
        spec.seen.add(k)
        name, t, _ = spec.keys[k]
        check(type_ok(t, v), "%s: key %d (%s) should be %s, is %r" % (where, k, name, t, v))
    for k, (name, _, req) in spec.keys.items():
        if req:
            check(k in m, "%s: required key %d (%s) is missing" % (where, k, name))
    return m


def check_record_head(rec, types, where):
    if not check(isinstance(rec, dict) and rec and next(iter(rec)) == 0,
                 "%s: a record is a map whose first key is 0" % where):
        return None
    t = rec[0]
    check(t in types, "%s: record type %r is not in SPEC.md's record types" % (where, t))
    return t


def list_of(v, n, elem, what):
    ok = isinstance(v, list) and all(isinstance(e, list) and len(e) == n and
                                     all(f(x) for f, x in zip(elem, e)) for e in v)
    check(ok, "%s: expected a list of %d-element arrays, got %r" % (what, n, v))


class State:
    def __init__(self, fields, capture_bits):
        self.fields = fields
        self.captured = {fid for fid, f in fields.items() if f["bit"] in capture_bits}

    def check_full(self, m, where):
        check(set(m) == self.captured,
              "%s: a state map holds exactly the captured fields (extra %s, missing %s)"
              % (where, sorted(set(m) - self.captured), sorted(self.captured - set(m))))
        for fid, v in m.items():
            if fid in self.fields:
                kind = self.fields[fid]["kind"]
                check(is_uint(v) if kind == "u64" else isinstance(v, bytes),
                      "%s: field %d is %s, value %r" % (where, fid, kind, v))
        return dict(m)


# ---- the CDDL schema against the key tables ----

def cddl_rules(text):
    """Map and group rules: name -> (keys, optional keys, {key: literal value}, names used)."""
    text = re.sub(r";[^\n]*", "", text)
    rules = {}
    for m in re.finditer(r"^([a-z][\w-]*) = ([{(])\n(.*?)^[})]$", text, re.M | re.S):
        body = m.group(3)
        keys = {int(k) for k in re.findall(r"(?<![\w.*-])(\d+):", body)}
        opt = {int(k) for k in re.findall(r"\?\s*(\d+):", body)}
        lit = {int(k): int(v) for k, v in re.findall(r"(?<![\w.*-])(\d+): (\d+),", body)}
        used = set(re.findall(r"^\s*([a-z][\w-]*),?$", body, re.M))
        rules[m.group(1)] = (keys, opt, lit, used)
    return rules


def check_cddl(path, tables):
    rules = cddl_rules(open(path, encoding="utf-8").read())
    types = {r[1]: int(r[0]) for r in need(tables, "Record types")}

    def rule(name):
        if not check(name in rules, "exitrace.cddl has no rule '%s = {'" % name):
            return set(), set(), {}
        keys, opt, lit, used = rules[name]
        for g in used & set(rules):  # groups it includes, such as event-head
            keys, opt, lit = keys | rules[g][0], opt | rules[g][1], {**lit, **rules[g][2]}
        return keys, opt, lit

    for what, spec in spec_keys(tables).items():
        if what == "step":
            continue  # its keys are field ids
        if isinstance(what, int):
            name = re.fullmatch(r"event kind \d+ \(([a-z-]+)\)", spec.title).group(1)
            want = {**spec_keys(tables)["event"].keys, **spec.keys}
        else:
            name, want = {"event": "event-head"}.get(what, what), spec.keys
        keys, opt, lit = rule(name)
        if what == "event":
            keys, opt = keys | {1}, opt  # the kind is in each kind's rule
        check(keys == set(want), "exitrace.cddl '%s' has keys %s, SPEC.md 'Keys: %s' %s"
              % (name, sorted(keys), spec.title, sorted(want)))
        check(opt == {k for k, (_, _, req) in want.items() if not req},
              "exitrace.cddl '%s': optional keys %s differ from SPEC.md's req column" % (name, sorted(opt)))
        if what in types:
            check(lit.get(0) == types[what], "exitrace.cddl '%s': key 0 is %r, the record type %d"
                  % (name, lit.get(0), types[what]))
        if isinstance(what, int):
            check(lit.get(1) == what and lit.get(0) == types["event"],
                  "exitrace.cddl '%s': kind %r, type %r" % (name, lit.get(1), lit.get(0)))


# ---- the whole trace ----

def check_trace(path, fields, tables, keys, vcpus):
    """One trace of gen_trace, written for vcpus vCPUs; keys record which keys were seen."""
    types = {int(r[0]): r[1] for r in need(tables, "Record types")}
    blocks = {r[1]: int(r[0]) for r in need(tables, "Blocks")}
    for k in ("header", "host", "vm", "image", "keyframe", "step", "event", "footer", "vcpu-summary"):
        if k not in keys:
            sys.exit("SPEC.md has no table under a heading 'Keys: %s'" % k)
    kinds = {k for k in keys if isinstance(k, int)}

    # the field table, column by column, against fields.c
    spec_fields = {}
    for r in need(tables, "Field table"):
        spec_fields[int(r[0])] = r[1:]
    for fid, f in fields.items():
        want = [f["name"], f["kind"], f["block"], fmt_exit(f["exit"]), fmt_mask(f["mask"])]
        check(spec_fields.get(fid) == want, "field %d: fields.c says %s, SPEC.md says %s"
              % (fid, want, spec_fields.get(fid)))
        check(blocks.get(f["block"]) == f["bit"], "block %s is bit %d" % (f["block"], f["bit"]))
    for fid in set(spec_fields) - set(fields):
        fail("SPEC.md's field %d (%s) is not in fields.c" % (fid, spec_fields[fid][0]))

    buf = open(path, "rb").read()
    major, minor, footer_at = check_file_ends(buf)
    frames = container(buf)
    check(frames[0]["kind"] == "skip" and frames[0]["end"] == MARK_SIZE, "the file mark is 20 bytes")
    check(frames[-1]["kind"] == "skip" and frames[-1]["off"] == len(buf) - TRAILER_SIZE,
          "the trailer is the last 24 bytes")
    zframes = [f for f in frames if f["kind"] == "zstd"]
    check(zframes[0]["off"] == MARK_SIZE, "the header frame follows the file mark")
    check(zframes[-1]["off"] == footer_at, "the trailer points at the footer frame")

    try:
        raw = subprocess.run(["zstd", "-dc", "-q", path], check=True, capture_output=True).stdout
    except FileNotFoundError:
        sys.exit("check_spec.py needs the zstd command: apt-get install zstd")
    check(len(raw) == sum(f["size"] for f in zframes), "zstd -dc gives the declared content sizes")
    pos = 0
    for f in zframes:
        f["records"] = records(raw[pos:pos + f["size"]], "frame at %d" % f["off"])
        pos += f["size"]

    # the header frame
    hf = zframes[0]["records"]
    check(len(hf) == 1, "the header frame holds one record")
    h = hf[0]
    check(check_record_head(h, types, "header") == 1, "the first record is a header (type 1)")
    check_map(keys["header"], h, "header")
    check(h.get(1) == [major, minor], "header version %r matches the file mark %d.%d"
          % (h.get(1), major, minor))
    check([major, minor] == ([2, 1] if vcpus > 1 else [1, 1]),
          "%d vCPU(s): format %d.%d (one vCPU: 1.1, several: 2.1)" % (vcpus, major, minor))
    check(all(isinstance(a, str) for a in h[3]), "header argv: text strings")
    check(len(h[4]) == 2 and is_int(h[4][0]) and is_uint(h[4][1]) and h[4][1] < 10**9,
          "header created: [sec, nsec]")
    host = check_map(keys["host"], h[5], "host")
    check(all(isinstance(k, str) and isinstance(v, str) for k, v in host.get(11, {}).items()),
          "host kvm params: text to text")
    check(all(is_uint(k) and is_int(v) for k, v in host.get(13, {}).items()),
          "host caps: capability to value")
    vm = check_map(keys["vm"], h[6], "vm")
    check(len(vm[5]) == 8 and all(is_uint(x) for x in vm[5]), "vm debugreg: 8 integers")
    list_of(vm.get(15), 7, [is_uint] * 7, "vm cpuid")
    list_of(vm.get(16), 2, [is_uint, lambda x: isinstance(x, bytes)], "vm memory")
    list_of(vm.get(17), 4, [is_uint, is_uint, is_uint, is_int], "vm injections")
    stats_names = vm.get(18, [])
    check(all(isinstance(x, str) for x in stats_names), "vm stats names: text")
    image = check_map(keys["image"], h[7], "image")
    check(image.get(3) == hashlib.sha256(image.get(2, b"")).digest(), "image sha256 is of its data")

    capture = vm[6]
    state = State(fields, {bit for bit in blocks.values() if capture >> bit & 1})
    check(all(capture >> bit & 1 for bit in blocks.values()), "gen_trace captures every block")
    check(vm.get(19, 1) == vcpus, "vm vcpus %r, gen_trace wrote %d" % (vm.get(19), vcpus))
    check(isinstance(vm.get(20), list) and len(vm[20]) == vcpus and all(is_uint(x) for x in vm[20]),
          "vm apic_ids: one integer per vCPU: %r" % vm.get(20))
    check((12 in h) == (vcpus > 1), "header key 12 (initial_vcpus) is there with several vCPUs")
    others = h.get(12, [])
    check(isinstance(others, list) and len(others) == vcpus - 1,
          "header initial_vcpus: one state per vCPU but vCPU 0")
    cur = [state.check_full(h[8], "header initial state")]
    cur += [state.check_full(m, "header initial state of vCPU %d" % (v + 1)) for v, m in enumerate(others)]
    own = [0] * vcpus  # each vCPU's steps
    own_hist = [{} for _ in range(vcpus)]

    masks = h[9]
    for fid, m in masks.items():
        if check(fid in fields, "header masks: field %d is not in the table" % fid):
            check(m == fields[fid]["mask"], "header mask of %d is 0x%x" % (fid, m))
    for fid, f in fields.items():
        if fid not in masks:
            check(f["mask"] == U64 - 1, "header masks: %s is absent but its mask is not all bits"
                  % f["name"])
    names = h[10]
    spec_names = {fid: row[0] for fid, row in spec_fields.items()}
    for fid, name in names.items():
        check(spec_names.get(fid) == name, "header names field %d '%s', SPEC.md says '%s'"
              % (fid, name, spec_names.get(fid)))
    for fid, name in spec_names.items():
        check(names.get(fid) == name, "SPEC.md names field %d '%s', the trace's header says '%s'"
              % (fid, name, names.get(fid)))

    # the data frames
    steps, index, counts, hist, changed = 0, [], {}, {}, set()
    seen_types = {1}
    last_time = 0
    for n, f in enumerate(zframes[1:-1]):
        where = "frame %d at %d" % (n, f["off"])
        recs = f["records"]
        k = recs[0] if recs else None
        check(check_record_head(k, types, where) == 2, "%s: starts with a keyframe" % where)
        seen_types.add(2)
        # vCPU 0's keyframe, then one per other vCPU that has made a step, ascending
        started = [0] + [v for v in range(1, vcpus) if own[v]]
        nk = 0
        while nk < len(recs) and isinstance(recs[nk], dict) and recs[nk].get(0) == 2:
            nk += 1
        check([recs[j].get(256, 0) for j in range(nk)] == started,
              "%s: keyframes of vCPUs %r, the vCPUs that have run are %r"
              % (where, [recs[j].get(256, 0) for j in range(nk)], started))
        for j in range(nk):
            k = recs[j]
            v = k.get(256, 0)
            kw = "%s keyframe of vCPU %d" % (where, v)
            check_map(keys["keyframe"], k, kw)
            check(k.get(1) == steps, "%s: keyframe step %r, %d steps before it" % (kw, k.get(1), steps))
            check(k.get(5, k.get(1)) == own[v] if v < vcpus else False,
                  "%s: the vCPU's steps %r, it made %r" % (kw, k.get(5), own[v] if v < vcpus else None))
            check((5 in k) == (own[v] != steps), "%s: key 5 only when it differs from key 1" % kw)
            check(k.get(2) == n, "%s: keyframe frame number %r" % (kw, k.get(2)))
            check(k.get(3, 0) >= last_time, "%s: keyframe time goes forward" % kw)
            last_time = k.get(3, 0)
            check(state.check_full(k[4], kw + " state") == cur[v],
                  "%s: the keyframe state is the state the deltas before it give" % kw)
        first = steps
        pending_inject = None
        for i, r in enumerate(recs[nk:], nk):
            rw = "%s record %d" % (where, i)
            t = check_record_head(r, types, rw)
            seen_types.add(t)
            if t == 3:
                check_map(keys["step"], r, rw, skip=[fid for fid in r if fid not in (0, 256)])
                vc = r.get(256, 0)
                if not check(vc < vcpus, "%s: a step of vCPU %r of %d" % (rw, vc, vcpus)):
                    continue
                check(256 not in r or list(r)[1] == 256, "%s: the vCPU comes right after key 0" % rw)
                check(r.get(256) != 0, "%s: vCPU 0 leaves key 256 out" % rw)
                st = cur[vc]
                for fid, v in list(r.items())[1:]:
                    if fid == 256:
                        continue
                    if not check(fid in state.captured, "%s: field %r is not captured" % (rw, fid)):
                        continue
                    changed.add(fid)
                    if fields[fid]["kind"] == "u64":
                        if check(is_int(v), "%s: %s delta %r" % (rw, fields[fid]["name"], v)):
                            st[fid] = (st[fid] + v) % U64
                    elif check(isinstance(v, bytes), "%s: %s is bytes" % (rw, fields[fid]["name"])):
                        st[fid] = v
                steps += 1
                own[vc] += 1
                hist[st[112]] = hist.get(st[112], 0) + 1
                own_hist[vc][st[112]] = own_hist[vc].get(st[112], 0) + 1
                if pending_inject is not None:
                    check(pending_inject == steps, "%s: an injection for step %d came before step %d"
                          % (rw, pending_inject, steps))
                    pending_inject = None
            elif t == 4:
                kind = r.get(1)
                check_map(keys["event"], r, rw, skip=[key for key in r if 2 < key < 256])
                if not check(kind in kinds, "%s: event kind %r is not in SPEC.md" % (rw, kind)):
                    continue
                check(list(r)[:3] == [0, 1, 2], "%s: an event starts with keys 0, 1, 2" % rw)
                check(r.get(256, 0) < vcpus and r.get(256) != 0, "%s: event vCPU %r" % (rw, r.get(256)))
                check_map(keys[kind], r, rw, skip=[0, 1, 2, 256])
                counts[kind] = counts.get(kind, 0) + 1
                if kind == 1:
                    check(r[2] == steps + 1, "%s: an injection is for the next step" % rw)
                    pending_inject = r[2]
                else:
                    check(r[2] == steps, "%s: an event follows the step it belongs to" % rw)
                if kind == 2 and 11 in r:
                    c = r[11]
                    check(len(c) >= 2 and all(is_uint(v) and v <= 255 for v in c)
                          and c == sorted(set(c)), "%s: candidates are two or more vectors, ascending" % rw)
                    check(r[3] == min(c), "%s: an ambiguous arrival's vector is its lowest candidate" % rw)
                if kind == 4:
                    check(all(fid in fields and is_uint(v) for fid, v in r[4].items()),
                          "%s: input values are field id to value" % rw)
                if kind == 5:
                    check(all(isinstance(a, str) and (isinstance(b, str) or is_int(b))
                              for a, b in r[6].items()), "%s: ktrace fields" % rw)
                if kind == 7:
                    check(all(is_uint(a) and a < len(stats_names) and is_int(b)
                              for a, b in r[3].items()), "%s: stats index to delta" % rw)
                if kind == 8:
                    check(is_uint(r[3]) and r[4] in (0, 1), "%s: ipi icr and x2apic 0 or 1" % rw)
                if kind == 9:
                    check(all(is_uint(r[k]) for k in r if 3 <= k <= 5), "%s: mp-state values" % rw)
            else:
                fail("%s: record type %r inside a data frame" % (rw, t))
        check(pending_inject is None, "%s: the injection for step %s is not in its step's frame"
              % (where, pending_inject))
        index.append([f["off"], first, steps - first])

    # the footer frame
    ff = zframes[-1]["records"]
    check(len(ff) == 1, "the footer frame holds one record")
    foot = ff[0]
    check(check_record_head(foot, types, "footer") == 5, "the last frame is a footer (type 5)")
    seen_types.add(5)
    check_map(keys["footer"], foot, "footer")
    check(foot.get(1) == steps, "footer steps %r, %d step records" % (foot.get(1), steps))
    check(foot.get(5) == hist, "footer histogram %r, counted %r" % (foot.get(5), hist))
    check(list(foot.get(5, {})) == sorted(hist), "footer histogram in ascending exit reason")
    check(state.check_full(foot[6], "footer final state") == cur[0], "footer final state (vCPU 0's)")
    check(foot.get(7) == index, "footer frame index %r, frames %r" % (foot.get(7), index))
    check(foot.get(9) == counts, "footer event counts %r, counted %r" % (foot.get(9), counts))
    check((10 in foot) == (vcpus > 1), "footer key 10 (vcpus) is there with several vCPUs")
    for v, m in enumerate(foot.get(10, [])):
        mw = "footer vCPU %d" % v
        check_map(keys["vcpu-summary"], m, mw)
        check(m.get(1) == own[v], "%s: steps %r, counted %d" % (mw, m.get(1), own[v]))
        check(m.get(2) == own_hist[v] and list(m.get(2, {})) == sorted(own_hist[v]),
              "%s: histogram %r, counted %r" % (mw, m.get(2), own_hist[v]))
        check((3 in m) == (v > 0), "%s: a final state for every vCPU but vCPU 0" % mw)
        if v:
            check(state.check_full(m[3], mw + " final") == cur[v], "%s: final state" % mw)
    check(vcpus == 1 or all(own), "every vCPU made a step: %r" % own)

    # everything the spec lists was seen, so no table holds what the code no longer writes
    check(seen_types == set(types), "record types seen %s, SPEC.md lists %s"
          % (sorted(seen_types), sorted(types)))
    check(set(counts) == kinds, "event kinds seen %s, SPEC.md lists %s" % (sorted(counts), sorted(kinds)))
    check(changed == state.captured, "step records changed every field (never: %s)"
          % sorted(state.captured - changed))
    check(len(index) >= 4 and any(e[2] == 0 for e in index),
          "several frames, one of events only: %r" % index)
    print("checked %d bytes, %d vCPU(s): %d data frames, %d steps %r, %d events, %d fields"
          % (len(buf), vcpus, len(index), steps, own, sum(counts.values()), len(fields)))


def check_all_seen(keys):
    """Over both traces: no key table holds what the code no longer writes."""
    for spec in keys.values():
        check(spec.seen == set(spec.keys), "'Keys: %s': keys %s documented but never written"
              % (spec.title, sorted(set(spec.keys) - spec.seen)))


def main(argv):
    if len(argv) == 3 and argv[1] == "--table":
        with tempfile.TemporaryDirectory() as d:
            print_table(run_gen(argv[2], os.path.join(d, "t.xtr")))
        return
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    tables = spec_tables(open(argv[2], encoding="utf-8").read())
    if len(argv) == 4:
        check_cddl(argv[3], tables)
    keys = spec_keys(tables)
    with tempfile.TemporaryDirectory() as d:
        # one vCPU (format 1.1), then several (2.0): vCPU 2 joins late
        for vcpus in (1, 3):
            path = os.path.join(d, "t%d.xtr" % vcpus)
            fields = run_gen(argv[1], path, vcpus)
            try:
                check_trace(path, fields, tables, keys, vcpus)
            except (ValueError, KeyError, IndexError, TypeError) as e:
                fail("the %d-vCPU trace does not have the shape SPEC.md gives: %r" % (vcpus, e))
        check_all_seen(keys)
    finish()


if __name__ == "__main__":
    main(sys.argv)
