# bash completion for exitrace                                   -*- shell-script -*-
# Commands, each command's options (read from its own --help, so they never go stale),
# scenario names after --scenario, and traces (*.xtr) where a command reads one.
_exitrace()
{
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[1]}
	local x=${COMP_WORDS[0]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$("$x" --help 2>/dev/null | sed -n 's/^  \([a-z]\{2,\}\)  .*/\1/p') help --help --version" -- "$cur"))
		return
	fi
	if [ "$cmd" = help ]; then
		COMPREPLY=($(compgen -W "$("$x" --help 2>/dev/null | sed -n 's/^  \([a-z]\{2,\}\)  .*/\1/p')" -- "$cur"))
		return
	fi
	case $prev in
	--scenario)
		COMPREPLY=($(compgen -W "$("$x" scenarios 2>/dev/null | cut -d' ' -f1)" -- "$cur"))
		return ;;
	-o|--output|--console|--module|--initrd|--symbols)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--mode)
		COMPREPLY=($(compgen -W "real prot long" -- "$cur"))
		return ;;
	--irqchip)
		COMPREPLY=($(compgen -W "none kernel split" -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "perfetto csv" -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$x" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur"))
		return
	fi
	case $cmd in
	record)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	check)
		COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.xtr' -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.xtr' -- "$cur")) ;;
	esac
}
complete -o filenames -F _exitrace exitrace
