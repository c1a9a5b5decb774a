#!/bin/bash
# The bash completion (tools/completion/exitrace.bash) against the binary it completes for:
# commands, a command's options as its --help lists them, scenario names, traces.
# usage: test_completion.sh EXITRACE COMPLETION_SCRIPT
set -eu
X=$1
source "$2"
fail() { echo "FAIL: $*" >&2; exit 1; }
# complete WORDS...: COMPREPLY for the last word, as bash would ask
complete_words() {
	COMP_WORDS=("$X" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_exitrace
	printf '%s\n' "${COMPREPLY[@]}"
}
has() { grep -qx -- "$2" <<<"$1" || fail "completing '$3' offers no '$2': $(tr '\n' ' ' <<<"$1")"; }
hasnt() { ! grep -qx -- "$2" <<<"$1" || fail "completing '$3' offers '$2'"; }

out=$(complete_words "")
for c in record replay check info diff dump stat show export scenarios help; do has "$out" "$c" "exitrace "; done
out=$(complete_words "re")
has "$out" record "exitrace re"; has "$out" replay "exitrace re"; hasnt "$out" dump "exitrace re"
out=$(complete_words record --vc)
has "$out" --vcpus "record --vc"
out=$(complete_words dump --)
for o in --from --to --vcpu --exit --event --rip --json; do has "$out" "$o" "dump --"; done
out=$(complete_words record --scenario "")
for s in sti-irq ipi init-sipi; do has "$out" "$s" "record --scenario"; done
out=$(complete_words record --scenario ip)
has "$out" ipi "--scenario ip"; hasnt "$out" sti-irq "--scenario ip"
out=$(complete_words help d)
has "$out" diff "help d"; has "$out" dump "help d"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/a.xtr" "$dir/b.txt"
out=$(complete_words info "$dir/")
has "$out" "$dir/a.xtr" "info DIR/"; hasnt "$out" "$dir/b.txt" "info DIR/"
echo "completion: ok"
