#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
"-" and pipes on every reader that needs no /dev/kvm (tests/kvm/
check_streams_live.py has record -o -, replay -o - and check -): info,
dump, stat, show, export and diff read standard input, a pipe and a
process substitution's /dev/fd/N (diff: both sides), and print what they
print for the file itself; what is no trace on a stream is refused at
once (exit 2), also a FIFO no process writes and /dev/zero.

usage: check_streams.py EXITRACE DATA_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

X, DATA = sys.argv[1:3]
failures = 0
# Copies under names no trace's recorded command line holds: the file's name is replaced by '-'
# in its output, and the archive's traces were recorded with -o DATA/NAME (in this very tree).
COPIES = tempfile.mkdtemp(prefix='xt-streams-')
def copy(name):
    dst = os.path.join(COPIES, 'in-' + name)
    with open(os.path.join(DATA, name), 'rb') as f, open(dst, 'wb') as g:
        g.write(f.read())
    return dst
A = copy('sti_irq.xtr')
B = copy('sti_irq_noidt.xtr')
MULTI = copy('ipi.xtr')


def fail(msg):
    global failures
    failures += 1
    print(f'FAIL: {msg}')


def run(args, stdin=None, shell=False, timeout=60):
    """(status, stdout, stderr) of exitrace; stdin a file name or None (no input: /dev/null)."""
    f = open(stdin, 'rb') if stdin else subprocess.DEVNULL
    try:
        if shell:
            p = subprocess.run(['bash', '-c', args], stdin=f, capture_output=True, timeout=timeout,
                               env=dict(os.environ, X=X))
        else:
            p = subprocess.run([X, *args], stdin=f, capture_output=True, timeout=timeout)
    finally:
        if stdin:
            f.close()
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def same(what, file_args, stream_args, name, stdin=None, shell=False, status=0):
    """The stream's output is the file's, with the file's name replaced by the stream's."""
    s1, o1, e1 = run(file_args)
    s2, o2, e2 = run(stream_args, stdin=stdin, shell=shell)
    if s1 != status or s2 != status:
        fail(f'{what}: exit status {s1} (file) and {s2} (stream), wanted {status}; {e2.strip()}')
        return
    if not o2:
        fail(f'{what}: no output')
    if o1.replace(name[0], name[1]) != o2:
        for i, (l1, l2) in enumerate(zip(o1.replace(name[0], name[1]).splitlines(), o2.splitlines())):
            if l1 != l2:
                fail(f'{what}: line {i + 1} differs: {l1!r} vs {l2!r}')
                return
        fail(f'{what}: the outputs differ in length ({len(o1)} vs {len(o2)} bytes)')


# standard input, a redirected file and a pipe
for cmd in (['info'], ['info', '--json'], ['dump'], ['dump', '--json'], ['stat'], ['stat', '--json'],
            ['export', '--format', 'csv'], ['export', '--format', 'perfetto']):
    same(f"{' '.join(cmd)} - < file", [*cmd, A], [*cmd, '-'], (A, '-'), stdin=A)
    same(f"cat file | {' '.join(cmd)} -", [*cmd, A], f'cat {A} | "$X" {" ".join(cmd)} -', (A, '-'),
         shell=True)
same('show - 705', ['show', A, '705'], ['show', '-', '705'], (A, '-'), stdin=A)
same('show --json - 705', ['show', '--json', A, '705'], ['show', '--json', '-', '705'], (A, '-'), stdin=A)
same('dump --from 600 --to 700 - (a seek on a stream)', ['dump', '--from', '600', '--to', '700', A],
     f'cat {A} | "$X" dump --from 600 --to 700 -', (A, '-'), shell=True)
same('info --verify on a pipe', ['info', '--verify', MULTI], f'cat {MULTI} | "$X" info --verify -',
     (MULTI, '-'), shell=True)
same('export -o - (standard output)', ['export', '--format', 'csv', A], ['export', '--format', 'csv', '-o', '-', A],
     (A, A))
# info names the input standard input's size as read
s, o, e = run(['info', '-'], stdin=A)
if f'(- ({os.path.getsize(A)} bytes)' not in '(' + o.split('\n')[0].replace('trace:     ', ''):
    fail(f'info -: the size of what came through the pipe: {o.splitlines()[:1]}')

# diff: one side -, both sides process substitutions, A and B swapped
same('diff - B', ['diff', A, B], ['diff', '-', B], (A, '-'), stdin=A, status=1)
same('diff A -', ['diff', A, B], ['diff', A, '-'], (B, '-'), stdin=B, status=1)
s1, o1, _ = run(['diff', A, B])
s2, o2, e2 = run(f'"$X" diff <(cat {A}) <(cat {B})', shell=True)
if s2 != 1 or not o2 or o2.count('\n') != o1.count('\n') or o1.splitlines()[-1] != o2.splitlines()[-1]:
    fail(f'diff <(cat A) <(cat B): status {s2}, {o2.count(chr(10))} lines vs {o1.count(chr(10))}: {e2.strip()}')
s, o, e = run(f'"$X" diff --json <(cat {MULTI}) <(cat {MULTI})', shell=True)
if s != 0 or '"identical":true' not in o:
    fail(f'diff of a trace of several vCPUs with itself through two pipes: status {s}, {e.strip()}')
s, o, e = run(['diff', '-', '-'], stdin=A)
if s != 2 or 'only one of A and B' not in e:
    fail(f'diff - -: a usage error, exit 2: {s} {e.strip()}')

# a terminal as standard input: refused, not waited on
import pty
master, slave = pty.openpty()
p = subprocess.run([X, 'info', '-'], stdin=slave, capture_output=True, timeout=20)
os.close(slave)
os.close(master)
if p.returncode != 2 or b'standard input is a terminal' not in p.stderr:
    fail(f'info - on a terminal: refused at once: {p.returncode} {p.stderr!r}')

# what is no trace, on a stream: refused at once with the reason
s, o, e = run(['info', '-'])
if s != 2 or 'standard input is empty' not in e:
    fail(f'info - with nothing on standard input: {s} {e.strip()}')
s, o, e = run(f'head -c 100000000 /dev/zero | "$X" dump -', shell=True, timeout=20)
if s != 2 or 'standard input is not an exitrace trace' not in e:
    fail(f'dump - of zeros: {s} {e.strip()}')
s, o, e = run(['stat', '-'], stdin='/dev/zero', timeout=20)
if s != 2 or 'not an exitrace trace' not in e:
    fail(f'stat - < /dev/zero: refused at once: {s} {e.strip()}')
s, o, e = run(f'head -c 5000 {A} | "$X" info -', shell=True)
if s != 2 or 'standard input' not in e:
    fail(f'info - of a trace cut inside its header: exit 2 naming standard input: {s} {e.strip()}')
s, o, e = run(f'head -c 9000 {A} | "$X" dump - | tail -1', shell=True)
if 'truncated' not in e:
    fail(f'dump - of a trace cut short: read to its last complete frame, said truncated: {e.strip()}')
d = tempfile.mkdtemp(prefix='xt-streams-')
fifo = os.path.join(d, 'nobody.xtr')
os.mkfifo(fifo)
for cmd in ('info', 'dump', 'stat'):
    s, o, e = run([cmd, fifo], timeout=20)
    if s != 2 or 'is empty' not in e:
        fail(f'{cmd} of a FIFO no process writes: exit 2 at once: {s} {e.strip()}')
# a FIFO with a writer is read like a pipe.  The writer holds it open before exitrace starts
# (O_RDWR does not wait for a reader): a writer racing exitrace's open could find no reader
# left and wait for ever, or exitrace find no writer yet and see an empty FIFO.
wfd = os.open(fifo, os.O_RDWR)
p = subprocess.Popen([X, 'info', fifo], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
with open(A, 'rb') as f:
    data = f.read()
for i in range(0, len(data), 4096):	# the pipe buffer holds 64 KiB: exitrace reads as we write
    os.write(wfd, data[i:i + 4096])
# the last close of a FIFO no reader holds drops what it holds: close once exitrace has it open
for _ in range(2000):
    try:
        if any(os.readlink(f'/proc/{p.pid}/fd/{n}') == fifo for n in os.listdir(f'/proc/{p.pid}/fd')):
            break
    except OSError:
        pass
    time.sleep(0.005)
os.close(wfd)
try:
    o, e = p.communicate(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    o, e = p.communicate()
    fail('info of a FIFO a process writes: no end after 20 s')
if p.returncode != 0 or b'steps' not in o:
    fail(f'info of a FIFO a process writes: {p.returncode} {e.decode(errors="replace").strip()}')
os.unlink(fifo)
# nothing is left in TMPDIR: the copy is unlinked
run(f'cat {A} | TMPDIR={d} "$X" stat -', shell=True)
left = os.listdir(d)
if left:
    fail(f'the copy of a stream left files behind in TMPDIR: {left}')
s, o, e = run(f'cat {A} | TMPDIR={d}/none "$X" stat -', shell=True)
if s != 2 or 'temporary file' not in e:
    fail(f'TMPDIR that does not exist: the error names the temporary file: {s} {e.strip()}')

print(f'{failures} failures')
shutil.rmtree(COPIES, ignore_errors=True)
sys.exit(1 if failures else 0)
