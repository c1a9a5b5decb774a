#!/bin/sh
# SPDX-License-Identifier: MIT
# docs/example/count_exits, built against the shared library, counts what
# `exitrace stat` counts (the steps, each exit reason's): usage: example.sh COUNT_EXITS EXITRACE TRACE
set -eu
count=$1 exitrace=$2 trace=$3
out=$("$count" "$trace")
echo "$out"
stat=$("$exitrace" stat "$trace")
first=$(echo "$out" | head -n 1)
if [ "$first" != "$(echo "$stat" | head -n 1)" ]; then
	echo "count_exits says '$first'; exitrace stat: '$(echo "$stat" | head -n 1)'"
	exit 1
fi
# every reason line of count_exits is a line of exitrace stat's histogram, same count
echo "$out" | tail -n +2 | while read -r reason n; do
	if ! echo "$stat" | grep -Eq "^$reason +$n "; then
		echo "count_exits: $reason $n; exitrace stat does not say so:"
		echo "$stat" | head -n 12
		exit 1
	fi
done
