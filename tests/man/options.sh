#!/bin/sh
# SPDX-License-Identifier: MIT
# Each command's manual page against its --help, so that neither can drift:
# the page is generated and not empty, man renders it, it names every option
# --help lists and --help lists every option it documents; --help gives
# defaults and examples.  usage: options.sh EXITRACE MANDIR
set -eu
exitrace=$1 mandir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# The options an option list defines: the first column of its lines.
help_options() {
	sed -n '/^options/,/^examples:/p' | grep -E '^  -' | sed 's/^  //; s/  .*//' |
		grep -oE '(^|[ ,|])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,|' | sort -u
}
# The options a page defines: in its sections named ...OPTIONS, the terms of
# the definition lists (scdoc: a bold line followed by .RS).
man_options() {
	awk '/^\.SH/ { in_opts = ($0 ~ /OPTIONS/) } in_opts { print }' "$1" |
		awk 'prev != "" && /^\.RS/ { print prev } { prev = $0 }' |
		sed 's/\\f[BIR]//g; s/\\-/-/g; s/\\&//g' |
		grep -oE '(^|[ ,|])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,|' | sort -u
}

commands=$("$exitrace" --help | sed -n 's/^  \([a-z]\{2,\}\)  .*/\1/p')
[ -n "$commands" ] || bad "exitrace --help lists no commands"
pages="exitrace.1 exitrace.5"
for cmd in $commands; do
	pages="$pages exitrace-$cmd.1"
	page=$mandir/exitrace-$cmd.1
	if [ ! -s "$page" ]; then
		bad "$cmd: no manual page $page (or an empty one)"
		continue
	fi
	"$exitrace" "$cmd" --help >"$tmp/help"
	help_options <"$tmp/help" >"$tmp/h"
	man_options "$page" >"$tmp/m"
	[ -s "$tmp/h" ] || bad "$cmd --help: no options list"
	if ! cmp -s "$tmp/h" "$tmp/m"; then
		bad "$cmd: --help's options (<) and exitrace-$cmd(1)'s (>) differ:"
		diff "$tmp/h" "$tmp/m" || true
	fi
	# the synopsis names no option the list does not explain
	sed -n '1,/^options/p' "$tmp/help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/s"
	for opt in $(comm -23 "$tmp/s" "$tmp/h"); do
		bad "$cmd --help: $opt is in the synopsis but not in the options list"
	done
	grep -q '^examples:' "$tmp/help" || bad "$cmd --help: no examples"
	grep -q "^  exitrace $cmd" "$tmp/help" || bad "$cmd --help: no example of exitrace $cmd"
	# every option that takes a value says its default, or that it is required
	sed -n '/^options/,/^examples:/p' "$tmp/help" | grep -E '^  --?[a-z].*[A-Z]{2,}' |
		grep -vE '^  -h' >"$tmp/valued" || true
	while IFS= read -r line; do
		opt=$(echo "$line" | grep -oE -- '--[a-z][a-z0-9-]*' | head -n 1)
		sed -n "/^  .*$opt/,/^  -/p" "$tmp/help" | grep -qE 'default|required|repeatable|instead|multiboot|--step' ||
			bad "$cmd --help: $opt says no default"
	done <"$tmp/valued"
	echo "$cmd: $(wc -l <"$tmp/h") options, the same in --help and exitrace-$cmd(1)"
done
# exitrace(1) names every command, and every page renders
for cmd in $commands; do
	grep -q "^\\\\fB$cmd\\\\fR" "$mandir/exitrace.1" || bad "exitrace(1) does not list command $cmd"
done
for p in $pages; do
	[ -s "$mandir/$p" ] || { bad "$p: missing or empty"; continue; }
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$mandir/$p" 2>"$tmp/err" >"$tmp/out" </dev/null || bad "$p: man -l failed"
		[ -s "$tmp/out" ] || bad "$p: man -l renders nothing"
		if [ -s "$tmp/err" ]; then
			bad "$p: man -l warns:"
			cat "$tmp/err"
		fi
	fi
done
exit $fail
