#!/bin/sh
# make clean's virtualenvs: clean.sh UNIT_FILE CLEAN_VENV VENV... removes each VENV (relative to the checkout, the current
# folder), but keeps, loudly, one the installed unit UNIT_FILE runs PySEB with: without it systemd could not start
# PySEB at the next boot or restart (status 203/EXEC, again every 10 s), the loads left unregulated. CLEAN_VENV not
# empty: removed all the same (the owner has stopped the service and makes the venv again before starting it).
# The unit's drop-ins (UNIT_FILE.d/*.conf, which `sudo systemctl edit pyseb` writes) are read too, as systemd reads them:
# after the unit, in the order of their names, an empty ExecStart= clearing the command, the next one setting it. The
# venv is the one the command that results runs a program of (its python, or the `pyseb` a `pip install .` into it
# made). (The first file naming the venv's python was taken: a .venv the unit named but a drop-in's own ExecStart= no
# longer ran was kept, said to be PySEB's; a unit running .venv/bin/pyseb had its venv removed.)
unit=$1
force=$2
shift 2
# (root is told its commands bare: DietPi logs in as root and has no sudo)
sudo="sudo "; if [ "$(id -u)" = 0 ]; then sudo=; fi
here=$(pwd -P)  # (the unit names the checkout as render_service.py resolved it: symlinks followed)
LC_ALL=C; export LC_ALL  # (the drop-ins' order: systemd's, by the bytes of their names)
command= by=
for file in "$unit" "$unit".d/*.conf; do
    [ -f "$file" ] && [ -r "$file" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do  # (a last line without its newline read too)
        case $line in
            ExecStart=*) command=${line#ExecStart=}; by=$file ;;
            *) continue ;;
        esac
        [ -n "$command" ] || by=  # (an empty ExecStart=: what came before is cleared)
    done < "$file"
done
for venv in "$@"; do
    case $venv in /*) full=$venv ;; *) full=$here/$venv ;; esac
    program=
    case $command in
        *"$full/bin/"*) rest=${command#*"$full/bin/"}; program=$full/bin/${rest%%[\" ]*} ;;
    esac
    if [ -z "$force" ] && [ -n "$program" ] && [ -e "$venv" ]; then
        echo "make clean: $venv kept: $by runs PySEB with $program (without it the service would not start" \
             "again at the next boot or restart). To make it again: ${sudo}systemctl stop pyseb, make clean CLEAN_VENV=1," \
             "make check, ${sudo}systemctl start pyseb" >&2
    else
        rm -rf "$venv"
    fi
done
