#!/bin/sh
# Diff speed and memory: two identical synthetic loop traces of N steps,
# written separately, diffed with `exitrace diff`; prints steps/s and the
# peak RSS.  usage: tests/bench/bench_diff.sh BUILD_DIR [STEPS...]
set -e
build=${1:?usage: $0 BUILD_DIR [STEPS...]}
shift
[ $# -gt 0 ] || set -- 1000000 10000000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in "$@"; do
	"$build/tests/bench/gen_loop_trace" "$n" "$tmp/a.xtr"
	"$build/tests/bench/gen_loop_trace" "$n" "$tmp/b.xtr"
	best=
	for run in 1 2 3; do
		/usr/bin/time -f '%e %U %M' -o "$tmp/time" "$build/tools/exitrace" diff "$tmp/a.xtr" "$tmp/b.xtr" >"$tmp/out"
		grep -q "^identical: $n steps compared" "$tmp/out" || { cat "$tmp/out"; exit 1; }
		read -r w u m <"$tmp/time"
		if [ -z "$best" ] || [ "$(echo "$u < $best" | bc)" = 1 ]; then best=$u wall=$w rss=$m; fi
	done
	rate="more than $((n * 100)) steps/s per core (under the timer's 0.01 s)"
	[ "$(echo "$best > 0" | bc)" = 1 ] && rate="$(echo "$n / $best" | bc) steps/s per core"
	echo "$n steps: best of 3: $best s user ($wall s wall), $rate, peak RSS $rss KiB"
done
