#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Streams and JSON of the commands that run a guest: record -o - (the trace
on standard output, written without seeking, every word of record's own
on standard error) piped into info -, saved and read as a complete trace;
replay -o -; check - and check of an archive, -q (TAP lines only) and -j N
(the serial run's output, line for line, and its verdicts); record
--json-summary, replay --json and check --json against docs/exitrace-json.
schema.json; -o - refused on a terminal and on a file opened to append.

Skips (77) without a usable /dev/kvm.
usage: check_streams_live.py EXITRACE
"""
import json
import os
import pty
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'unit'))
X = os.path.abspath(sys.argv[1])
if not os.access('/dev/kvm', os.R_OK | os.W_OK):
    print('SKIP: no usable /dev/kvm')
    sys.exit(77)
try:
    import json_rules
except ImportError as e:
    print(f'SKIP: {e} (python3-jsonschema: scripts/install-deps installs it)')
    sys.exit(77)
failures = 0
MARK = b'\x5e\x2a\x4d\x18\x0c\x00\x00\x00EXITRACE'	# the file mark: skippable frame 0x184D2A5E


def fail(msg):
    global failures
    failures += 1
    print(f'FAIL: {msg}')


def sh(cmd, status=(0,), timeout=200):
    p = subprocess.run(['bash', '-c', cmd], capture_output=True, timeout=timeout, env=dict(os.environ, X=X))
    if p.returncode not in status:
        fail(f'{cmd}: exit status {p.returncode}, wanted {status}; {p.stderr.decode(errors="replace").strip()}')
    return p.stdout, p.stderr.decode(errors='replace')


def valid(text, what):
    errs, value = json_rules.check_document(text, what)
    for e in errs:
        fail(e)
    return value


d = tempfile.mkdtemp(prefix='xt-streams-live-')
os.chdir(d)
SC = 'sti-irq'	# ends by isa-debug-exit status 3: record's exit status is 3

# record -o -: the trace alone on standard output, the summary and console on standard error
out, err = sh(f'"$X" record --scenario {SC} -o - > piped.xtr', status=(3,))
data = open('piped.xtr', 'rb').read()
if not data.startswith(MARK):
    fail(f'record -o -: standard output does not start with the file mark: {data[:20]!r}')
if 'exitrace record: ' not in err or 'to standard output' not in err:
    fail(f'record -o -: the summary on standard error, naming standard output: {err!r}')
if b'exitrace record' in data or b'sti-irq: done' in data:
    fail('record -o -: text of record or the guest console in the trace')
info = valid(sh('"$X" info --json piped.xtr')[0], 'info of a trace written to a pipe')
if info and (info['truncated'] or info['steps'] < 1000):
    fail(f'record -o - saved to a file: a complete trace (its trailer finds the footer): {info}')
out, err = sh('"$X" info --verify piped.xtr')
if b'consistent' not in out and b'verified' not in out:
    fail(f'info --verify of the saved stream: {out[:300]!r} {err}')
# straight into a reader, and the same trace through two pipes into diff
out, _ = sh(f'"$X" record --scenario {SC} -o - --quiet 2>/dev/null | "$X" info -')
if b'trace:     - (' not in out or b'truncated' in out:
    fail(f'record -o - | info -: {out[:300]!r}')
out, _ = sh(f'"$X" diff <("$X" record --scenario {SC} -o - --quiet 2>/dev/null) '
            f'<("$X" record --scenario {SC} -o - --quiet 2>/dev/null)')
if b'identical:' not in out:
    fail(f'diff <(record -o -) <(record -o -): identical expected: {out[-300:]!r}')

# --json-summary: on standard output, or on standard error when the trace is there
out, err = sh(f'"$X" record --scenario {SC} -o file.xtr --json-summary 2>/dev/null', status=(3,))
r = valid(out.decode(), 'record --json-summary')
# bytes: the header and data frames, as the text summary says (not the footer and trailer)
if r and (r['output'] != 'file.xtr' or not r['complete'] or r['end']['reason'] != 'debug-exit'
          or not 0 < r['bytes'] < os.path.getsize('file.xtr') or r['steps'] != 1079):
    fail(f'record --json-summary: {r}')
out, err = sh(f'"$X" record --scenario {SC} -o - --json-summary 2>summary.json > js.xtr', status=(3,))
lines = [l for l in open('summary.json').read().splitlines() if l.startswith('{')]
r = valid(lines[-1] if lines else '', 'record -o - --json-summary on standard error')
if r and (r['output'] != '-' or not 0 < r['bytes'] < os.path.getsize('js.xtr')):
    fail(f'record -o - --json-summary: {r}, {os.path.getsize("js.xtr")} bytes written')

# -o - refused where a trace cannot go
master, slave = pty.openpty()
p = subprocess.run([X, 'record', '--scenario', SC, '-o', '-'], stdout=slave, stderr=subprocess.PIPE, timeout=60)
os.close(slave)
os.close(master)
if p.returncode != 2 or b'terminal' not in p.stderr:
    fail(f'record -o - on a terminal: refused, exit 2: {p.returncode} {p.stderr!r}')
out, err = sh(f'"$X" record --scenario {SC} -o - >> piped.xtr', status=(2,))
if 'not from its start' not in err:
    fail(f'record -o - >> FILE: refused (offsets count from the first byte): {err}')
out, err = sh(f'"$X" record --scenario {SC} -o - --console -', status=(2,))
if 'would go into the trace' not in err:
    fail(f'record -o - --console -: refused: {err}')
out, err = sh(f'"$X" record --scenario {SC} -o console.xtr --console - --quiet', status=(3,))
if out != b'sti-irq: done (the count of vector 0x30 is on port 0x84)\n':
    fail(f'record --console -: the guest console on standard output: {out!r}')
out, err = sh('"$X" record -o - -- true', status=(2,))
if '-o -' not in err:
    fail(f'record -o - -- COMMAND: a usage error naming -o -: {err}')

# replay: from standard input, to standard output
out, err = sh('"$X" replay - < piped.xtr')
if b'identical: ' not in out:
    fail(f'replay -: {out!r} {err}')
out, err = sh('"$X" replay -o - piped.xtr > replayed.xtr')
if 'identical: ' not in err or 'new trace: -' not in err or out:
    fail(f'replay -o -: the report on standard error, nothing else on standard output: {err}')
info = valid(sh('"$X" info --json replayed.xtr')[0], 'info of replay -o -')
if info and (info['truncated'] or info['steps'] < 1000):
    fail(f'replay -o -: a complete trace: {info}')
out, err = sh('cat piped.xtr | "$X" replay -o - - | "$X" stat -')
if b'steps' not in out:
    fail(f'cat | replay -o - - | stat -: {out!r} {err}')
r = valid(sh('"$X" replay --json piped.xtr')[0].decode(), 'replay --json')
if r and (r['outcome'] != 'identical' or r['divergence'] is not None or r['steps'] != r['recorded_steps']):
    fail(f'replay --json: {r}')
r = valid(sh('"$X" replay --json -o again.xtr - < piped.xtr')[0].decode(), 'replay --json -o')
if r and not 0 < r.get('output_bytes', 0) < os.path.getsize('again.xtr'):
    fail(f'replay --json -o: output_bytes {r.get("output_bytes")}')

# check: an archive, -q, -j, -, --json
os.mkdir('arch')
scen = ['sti-irq', 'mov-ss', 'popf-if', 'sw-bp', 'hw-bp', 'sti-irq-noidt']
for i, s in enumerate(scen):
    sh(f'"$X" record --scenario {s} -o arch/{i}-{s}.xtr --quiet', status=range(0, 256))
with open('arch/zz-broken.xtr', 'wb') as f:
    f.write(data[:len(data) - 100])	# its footer cut: a truncated trace replays what it holds
with open('arch/zz-not-a-trace.xtr', 'w') as f:
    f.write('hello\n')
serial, _ = sh('"$X" check arch', status=(2,))
for jobs in (2, 3, 8):
    par, _ = sh(f'"$X" check -j {jobs} arch', status=(2,))
    if par != serial:
        fail(f'check -j {jobs}: not the serial output line for line:\n{par.decode()}\nvs\n{serial.decode()}')
quiet, _ = sh('"$X" check -q -j 2 arch', status=(2,))
ql = quiet.decode().splitlines()
if not ql or not all(l.startswith(('ok ', 'not ok ', '1..')) for l in ql):
    fail(f'check -q: only TAP lines: {ql}')
if [l for l in serial.decode().splitlines() if not l.startswith('#')] != ql:
    fail('check -q: the serial run without its comments')
if len(ql) != len(scen) + 3 or sum(l.startswith('ok ') for l in ql) != len(scen) + 1:
    fail(f'check: {len(scen) + 1} traces ok, one not: {ql}')
if 'truncated trace' not in ql[-2]:
    fail(f'check: the cut trace replays as truncated: {ql[-2]}')
c = valid(sh('"$X" check --json -j 4 arch', status=(2,))[0].decode(), 'check --json')
if c:
    s = c['summary']
    if (s['total'], s['identical'], s['failed']) != (len(scen) + 2, len(scen) + 1, 1):
        fail(f'check --json summary: {s}')
    if [t['index'] for t in c['traces']] != list(range(1, len(scen) + 3)):
        fail('check --json: the traces in order')
c1 = json.loads(sh('"$X" check --json arch', status=(2,))[0])
strip = lambda c: [{k: v for k, v in t.items() if k != 'seconds'} for t in c['traces']]
if c and strip(c) != strip(c1):
    fail('check --json -j 4: the serial verdicts')
out, _ = sh('"$X" check - < piped.xtr')
if not out.startswith(b'1..1\nok 1 - -: '):
    fail(f'check -: one trace from standard input: {out!r}')
out, err = sh('"$X" check -j 0 arch', status=(2,))
if '--jobs' not in err:
    fail(f'check -j 0: a usage error: {err}')

print(f'{failures} failures')
sys.exit(1 if failures else 0)
