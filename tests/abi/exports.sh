#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared library exports exactly the functions exitrace.map lists (the
# documented API), and every one the public headers declare is among them:
# usage: exports.sh LIBEXITRACE.SO EXITRACE.MAP HEADER...
set -eu
lib=$1 map=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u >"$tmp/exported"
# every one of them in the version node EXITRACE_0
if nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | grep -v '@@EXITRACE_0$'; then
	echo "the functions above are not of version EXITRACE_0"
	exit 1
fi
grep -oE '^[[:space:]]+xt_[a-z0-9_]+;' "$map" | tr -d ' \t;' | sort -u >"$tmp/listed"
# the functions the headers declare (comments dropped; not the static inline ones)
perl -0777 -pe 's{/\*.*?\*/}{}gs; s{\n}{ }g; s{;}{;\n}g' "$@" | grep -v 'static inline' |
	grep -oE '[ *]xt_[a-z0-9_]+\(' | tr -d ' *(' | sort -u >"$tmp/declared"
bad=0
if ! cmp -s "$tmp/exported" "$tmp/listed"; then
	echo "exported (<) and listed in $map (>) differ:"
	diff "$tmp/exported" "$tmp/listed" || true
	bad=1
fi
if ! cmp -s "$tmp/declared" "$tmp/listed"; then
	echo "declared in the public headers (<) and listed in $map (>) differ:"
	diff "$tmp/declared" "$tmp/listed" || true
	bad=1
fi
for internal in xt_sha256 xt_utf8_len xti_alloc; do
	if grep -qx "$internal" "$tmp/exported"; then
		echo "$internal is exported: it is not API"
		bad=1
	fi
done
[ $bad = 0 ] && echo "$(wc -l <"$tmp/exported") functions exported, all of them documented"
exit $bad
