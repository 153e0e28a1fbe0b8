# bash completion for dldoctor(1): its commands, each command's options, --mode's values, user
# names for --user, process ids for --pid, and files where a path goes. Installed where
# bash-completion loads it on first use (`pkg-config --variable=completionsdir bash-completion`).
# tests/completion/check_completion.py drives it and keeps it in step with `dldoctor CMD --help`.

_dldoctor_paths() {  # _dldoctor_paths [-d]: files (or, with -d, directories) matching $cur
  compopt -o filenames 2>/dev/null
  if declare -F _filedir >/dev/null; then
    _filedir "$@"
  elif [ "${1-}" = -d ]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}

_dldoctor() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev='' command='' i
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # bash splits --mode=lazy at '=' (COMP_WORDBREAKS): complete after it as after "--mode ".
  if [ "$cur" = = ]; then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cur=''
  elif [ "$prev" = = ] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  COMPREPLY=()

  # The command is the first word that is not an option.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --color) ((i++)) ;;  # its value is no command
      -*) ;;
      *) command=${COMP_WORDS[i]}; break ;;
    esac
  done

  case $command in
    '')
      if [ "$prev" = --color ]; then
        mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
        return
      fi
      mapfile -t COMPREPLY < <(compgen -W 'check tree reload scan run explain codes --help
        --version --color' -- "$cur")
      return
      ;;
    run)
      # After -- (or the program's name), the words are the program's: complete a command, then
      # files.
      local seen_dash=0 j
      for ((j = i + 1; j < COMP_CWORD; j++)); do
        case ${COMP_WORDS[j]} in
          --report) ((j++)) ;;
          --) seen_dash=1; break ;;
          -*) ;;
          *) seen_dash=1; break ;;
        esac
      done
      if ((seen_dash)); then
        if ((j == COMP_CWORD - 1)) && [ "${COMP_WORDS[j]}" = -- ]; then
          mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        else
          _dldoctor_paths
        fi
        return
      fi
      if [ "$prev" = --report ]; then
        _dldoctor_paths
        return
      fi
      ;;
    check | tree | reload)
      case $prev in
        --mode) mapfile -t COMPREPLY < <(compgen -W 'now lazy' -- "$cur"); return ;;
        --host | --loaded) _dldoctor_paths; return ;;
        --search) _dldoctor_paths -d; return ;;
        --user) mapfile -t COMPREPLY < <(compgen -u -- "$cur"); return ;;
        --pid)
          mapfile -t COMPREPLY < <(cd /proc 2>/dev/null && compgen -W "$(compgen -G '[0-9]*')" \
            -- "$cur")
          return
          ;;
        --symbol | --signature | --api | --timeout | --times) return ;;  # free text
      esac
      ;;
    scan)
      case $prev in
        --root) _dldoctor_paths -d; return ;;
        --user) mapfile -t COMPREPLY < <(compgen -u -- "$cur"); return ;;
      esac
      ;;
  esac

  local options
  case $command in
    check)
      options='--symbol --search --signature --api --reload --loaded --pid --host --user --mode
               --json --load --timeout --help'
      ;;
    tree) options='--host --json --help' ;;
    reload) options='--symbol --mode --copy --times --timeout --help' ;;
    scan) options='--json --root --user --help' ;;
    run) options='--json --report --live --no-follow --help' ;;
    explain) options='--json --help' ;;
    codes) options='--json --help' ;;
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  elif [ "$command" = run ]; then
    mapfile -t COMPREPLY < <(compgen -c -- "$cur")  # the program
  elif [ "$command" != explain ] && [ "$command" != codes ]; then
    _dldoctor_paths  # PATH: the library, plugin or program
  fi
}

complete -F _dldoctor dldoctor
