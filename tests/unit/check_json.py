#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Every command's --json against docs/exitrace-json.schema.json and the
rules of docs/json.md (json_rules.py), on traces that need no /dev/kvm: a
generated trace of every record, event kind and field (one vCPU and three),
and the archived scenario traces of tests/data.  The commands that need KVM
(record --json-summary, replay --json, check --json with a replay) are
held to the same schema by tests/kvm/check_streams_live.py; here check
--json meets traces it cannot replay (no KVM needed for an error).

usage: check_json.py EXITRACE DATA_DIR GEN_TRACE
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import json_rules
except ImportError as e:
    print(f'SKIP: {e} (python3-jsonschema: scripts/install-deps installs it)')
    sys.exit(77)

X, DATA, GEN = sys.argv[1:4]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f'FAIL: {msg}')


def run(*args, status=(0,)):
    p = subprocess.run([X, *args], capture_output=True, text=True, timeout=120)
    if p.returncode not in status:
        fail(f"exitrace {' '.join(args)}: exit status {p.returncode}, wanted {status}; {p.stderr.strip()}")
    return p.stdout


def doc(what, *args, status=(0,)):
    errs, value = json_rules.check_document(run(*args, status=status), what)
    for e in errs:
        fail(e)
    return value


tmp = tempfile.mkdtemp(prefix='xt-json-')
gen1, gen3 = os.path.join(tmp, 'all.xtr'), os.path.join(tmp, 'all3.xtr')
subprocess.run([GEN, gen1], check=True, stdout=subprocess.DEVNULL)
subprocess.run([GEN, gen3, '3'], check=True, stdout=subprocess.DEVNULL)
archived = sorted(os.path.join(DATA, f) for f in os.listdir(DATA) if f.endswith('.xtr'))
traces = [gen1, gen3] + archived

checked = 0
for t in traces:
    name = os.path.basename(t)
    info = doc(f'info {name}', 'info', '--json', t)
    doc(f'info --verify {name}', 'info', '--json', '--verify', t)
    doc(f'stat {name}', 'stat', '--json', t)
    # every line of the generated traces; of the archived ones the first steps and every event
    errs, lines = json_rules.check_lines(run('dump', '--json', t), f'dump {name}',
                                         None if t in (gen1, gen3) else 200)
    for e in errs[:20]:
        fail(e)
    if lines and lines[0]:
        if lines[0].get('command') != 'dump' or lines[0].get('file') != t:
            fail(f'dump {name}: the header line names command and file: {lines[0]}')
        if not any('event' in v for v in lines[1:]) and name.startswith('all'):
            fail(f'dump {name}: the generated trace has events, the JSON lines none')
    doc(f'show {name}', 'show', '--json', t, '1')
    checked += 1
    if info and info.get('host', {}).get('caps'):
        caps = info['host']['caps']
        if not all(k.startswith('KVM_CAP_') for k in caps):
            fail(f'info {name}: capabilities by name, not number: {list(caps)[:5]}')

# capabilities this exitrace names are names, not KVM_CAP_<number>
info = doc('info sti_irq', 'info', '--json', os.path.join(DATA, 'sti_irq.xtr'))
if info and 'KVM_CAP_SYNC_REGS' not in info['host']['caps']:
    fail(f"info: KVM_CAP_SYNC_REGS by its name: {sorted(info['host']['caps'])}")

# show with --mem; a diff with hunks, one of several vCPUs, an identical one
doc('show --mem', 'show', '--json', '--mem', '0x200000', '32', os.path.join(DATA, 'sti_irq.xtr'), '5')
d = doc('diff sti_irq sti_irq_noidt', 'diff', '--json', os.path.join(DATA, 'sti_irq.xtr'),
        os.path.join(DATA, 'sti_irq_noidt.xtr'), status=(1,))
if d and not d.get('hunks'):
    fail('diff sti_irq sti_irq_noidt: hunks expected')
d = doc('diff ipi ipi_block', 'diff', '--json', os.path.join(DATA, 'ipi.xtr'),
        os.path.join(DATA, 'ipi_block.xtr'), status=(0, 1))
if d and 'vcpus' not in d:
    fail('diff of traces of several vCPUs: "vcpus" expected')
doc('diff identical', 'diff', '--json', gen1, gen1)
doc('diff generated', 'diff', '--json', gen3, gen1, status=(0, 1))

# commands without a trace
s = doc('scenarios', 'scenarios', '--json')
if s and not any(x['name'] == 'sti-irq' for x in s.get('scenarios', [])):
    fail('scenarios --json: sti-irq expected')

# check --json where no replay can run: a file that is no trace, an empty directory
bad = os.path.join(tmp, 'bad.xtr')
with open(bad, 'w') as f:
    f.write('not a trace\n')
c = doc('check bad', 'check', '--json', bad, status=(2,))
if c and (c['summary']['failed'] != 1 or c['traces'][0]['outcome'] != 'error'):
    fail(f'check --json of a file that is no trace: one error expected: {c}')
empty = os.path.join(tmp, 'empty')
os.mkdir(empty)
doc('check empty', 'check', '--json', empty, status=(2,))
# replay --json of what is no trace: an error object, exit 2
r = doc('replay bad', 'replay', '--json', bad, status=(2,))
if r and r.get('outcome') != 'error':
    fail(f'replay --json of no trace: outcome error expected: {r}')

print(f'{checked} traces through info, stat, dump, show; {failures} failures')
sys.exit(1 if failures else 0)
