#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Terminal manners of diff, dump and show, on a pseudo-terminal (python3 pty)
and on a pipe: colour by default on a terminal only, NO_COLOR honoured and
overridden by --color=always, --color=never; the pager: EXITRACE_PAGER over
PAGER, "" or "cat" for none, --no-pager, never on a pipe; --json never
coloured.  The pager stands in as a command that marks each line it passes.

usage: check_term.py EXITRACE DATA_DIR
"""
import os
import pty
import select
import subprocess
import sys

X, DATA = sys.argv[1:3]
A = os.path.join(DATA, 'sti_irq.xtr')
B = os.path.join(DATA, 'sti_irq_noidt.xtr')
ESC = '\x1b['
failures = 0

BASE_ENV = {k: v for k, v in os.environ.items() if k not in ('NO_COLOR', 'PAGER', 'EXITRACE_PAGER', 'LESS')}
BASE_ENV['TERM'] = 'xterm'
MARK = 'sed s/^/PAGED:/'


def fail(msg):
    global failures
    failures += 1
    print(f'FAIL: {msg}')


def on_tty(args, env):
    """Run exitrace with standard output on a pseudo-terminal; (status, output)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([X, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                         env=env, close_fds=True)
    os.close(slave)
    out = b''
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break	# EIO: every writer closed the terminal
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait(timeout=30)
    return p.returncode, out.decode(errors='replace').replace('\r\n', '\n')


def on_pipe(args, env):
    p = subprocess.run([X, *args], capture_output=True, env=env, timeout=60)
    return p.returncode, p.stdout.decode(errors='replace')


def env(**kw):
    e = dict(BASE_ENV)
    e.update(kw)
    return e


CASES = [
    ('dump', ['dump', '--to', '710', A], 0),
    ('diff', ['diff', A, B], 1),
    ('show', ['show', A, '705'], 0),
]
for name, args, status in CASES:
    # a terminal, no pager: coloured; the same text without the colour
    s, tty = on_tty(args, env(PAGER='cat'))
    s2, plain = on_pipe(args, env())
    if s != status or s2 != status:
        fail(f'{name}: exit status {s} on a terminal, {s2} on a pipe, wanted {status}')
    if ESC not in tty:
        fail(f'{name}: no colour on a terminal by default')
    if ESC in plain:
        fail(f'{name}: colour on a pipe by default')
    import re
    stripped = re.sub(r'\x1b\[[0-9;]*m', '', tty)
    if stripped != plain:
        fail(f'{name}: the coloured text is not the plain text with colour added')
    # NO_COLOR, --color=never, --color=always (over NO_COLOR, also on a pipe)
    _, t = on_tty(args, env(PAGER='cat', NO_COLOR='1'))
    if ESC in t:
        fail(f'{name}: NO_COLOR=1 on a terminal still coloured')
    _, t = on_tty(args, env(PAGER='cat', NO_COLOR=''))
    if ESC not in t:
        fail(f'{name}: NO_COLOR set but empty is no NO_COLOR (no-color.org)')
    _, t = on_tty(args + ['--color=never'], env(PAGER='cat'))
    if ESC in t:
        fail(f'{name}: --color=never on a terminal still coloured')
    _, t = on_tty(args, env(PAGER='cat', TERM='dumb'))
    if ESC in t:
        fail(f'{name}: TERM=dumb still coloured')
    _, t = on_pipe(args + ['--color=always'], env(NO_COLOR='1'))
    if ESC not in t:
        fail(f'{name}: --color=always on a pipe with NO_COLOR=1 not coloured')
    _, t = on_pipe(args + ['--color'], env())
    if ESC not in t:
        fail(f'{name}: --color alone means always')
    s, t = on_pipe(args + ['--color=sometimes'], env())
    if s != 2:
        fail(f'{name}: --color=sometimes is a usage error (exit 2), got {s}')
    if name != 'diff':
        _, t = on_tty(args + ['--json', '--color=always'], env(PAGER='cat'))
        if ESC in t:
            fail(f'{name}: --json coloured')

    # the pager: EXITRACE_PAGER over PAGER; every line through it; none on a pipe
    _, t = on_tty(args + ['--color=never'], env(PAGER=MARK))
    lines = [l for l in t.splitlines() if l]
    if not lines or not all(l.startswith('PAGED:') for l in lines):
        fail(f'{name}: $PAGER on a terminal did not get every line: {lines[:2]}')
    _, t = on_tty(args + ['--color=never'], env(PAGER='false', EXITRACE_PAGER=MARK))
    if not t.startswith('PAGED:'):
        fail(f'{name}: EXITRACE_PAGER is taken before PAGER: {t[:80]!r}')
    for off in ({'EXITRACE_PAGER': ''}, {'EXITRACE_PAGER': 'cat', 'PAGER': MARK}, {'PAGER': ''}):
        _, t = on_tty(args + ['--color=never'], env(**off) if 'PAGER' in off else env(PAGER=MARK, **off))
        if 'PAGED:' in t or not t:
            fail(f'{name}: {off} means no pager: {t[:80]!r}')
    _, t = on_tty(args + ['--no-pager'], env(PAGER=MARK))
    if 'PAGED:' in t or ESC not in t:
        fail(f'{name}: --no-pager: no pager, still colour on the terminal')
    _, t = on_pipe(args, env(PAGER=MARK))
    if 'PAGED:' in t:
        fail(f'{name}: a pager on a pipe')
    # colour through the pager: the terminal decides, not the pipe to the pager
    _, t = on_tty(args, env(PAGER=MARK))
    if ESC not in t:
        fail(f'{name}: no colour through the pager on a terminal')

# what is coloured: diff's removed and added lines, dump's events, show's section titles
_, t = on_pipe(['diff', '--color=always', A, B], env())
if not re.search(r'\x1b\[31m- ', t) or not re.search(r'\x1b\[32m\+ ', t):
    fail('diff: "- " lines red, "+ " lines green')
_, t = on_pipe(['dump', '--color=always', '--from', '700', '--to', '706', A], env())
if not re.search(r'\x1b\[33m +701  \+ irq-inject', t):
    fail('dump: an event line yellow')
_, t = on_pipe(['show', '--color=always', A, '705'], env())
if '\x1b[1mregisters:' not in t:
    fail('show: section titles bold')

print(f'{failures} failures')
sys.exit(1 if failures else 0)
