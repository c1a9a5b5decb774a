# SPDX-License-Identifier: MIT
"""What the kvm suite's Python tests share: a skip without /dev/kvm, a
counted check that does not stop the test, and exitrace run with its
status checked.  Each test ends with finish()."""
import os
import subprocess
import sys

failures = 0


def need_kvm():
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: no usable /dev/kvm")
        sys.exit(77)


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {msg}")
    return cond


def runner(exitrace, timeout=200):
    """run(*args, ok=(0,)): exitrace's stdout; a status not in ok is a failed check."""
    def run(*args, ok=(0,)):
        p = subprocess.run([exitrace, *args], capture_output=True, text=True, timeout=timeout)
        if p.returncode not in ok:
            check(False, f"exitrace {' '.join(args)}: exit status {p.returncode}; {p.stderr.strip()}")
        return p.stdout
    return run


def finish():
    print(f"{failures} failure(s)" if failures else "ok")
    sys.exit(1 if failures else 0)
