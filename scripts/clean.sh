#!/bin/sh
# make clean's virtualenvs: clean.sh UNIT_FILE CLEAN_VENV VENV... removes each VENV (relative to the checkout, the current
# folder), but keeps, loudly, one the installed unit UNIT_FILE runs PySEB with: without it systemd could not start
# PySEB at the next boot or restart (status 203/EXEC, again every 10 s), the loads left unregulated. CLEAN_VENV not
# empty: removed all the same (the owner has stopped the service and makes the venv again before starting it).
# The unit's drop-ins are read too, as systemd reads them: <unit>.d/*.conf beside UNIT_FILE (which `sudo systemctl
# edit pyseb` writes) and in systemd's other folders (/run/systemd/system, which `systemctl edit --runtime` writes;
# /usr/lib/systemd/system, a package's; the others below), a name found in several taken from the folder systemd ranks
# first alone; after the unit, in the order of their names whatever their folder, an empty ExecStart= clearing the
# command, the next one setting it. The venv is the one the command that results runs a program of (its python, or
# the `pyseb` a `pip install .` into it made). (The first file naming the venv's python was taken: a .venv the unit
# named but a drop-in's own ExecStart= no longer ran was kept, said to be PySEB's; a unit running .venv/bin/pyseb had
# its venv removed. Until 2026-12-07 only UNIT_FILE.d was read: a runtime drop-in's venv was removed under the
# service.) Not read: the drop-ins of every service (service.d/), which no one gives an ExecStart=.
# CLEAN_SYSTEMD_ROOT: a folder standing for / (the tests'), empty for the machine's own.
unit=$1
force=$2
shift 2
# (root is told its commands bare: DietPi logs in as root and has no sudo)
sudo="sudo "; if [ "$(id -u)" = 0 ]; then sudo=; fi
here=$(pwd -P)  # (the unit names the checkout as render_service.py resolved it: symlinks followed)
LC_ALL=C; export LC_ALL  # (the drop-ins' order: systemd's, by the bytes of their names)
tab=$(printf '\t')
nl='
'

# The drop-ins of unit $1 in the folders "$@" (the first ranked first): one path a line, in systemd's order. A name
# (override.conf) in several folders is the first folder's alone; names holding a newline or a tab are skipped.
dropins() {
    name=$1; shift
    seen=/
    for dir in "$@"; do
        for file in "$dir/$name.d"/*.conf; do
            [ -f "$file" ] && [ -r "$file" ] || continue
            base=${file##*/}
            case $base in *"$nl"*|*"$tab"*) continue ;; esac
            case $seen in *"/$base/"*) continue ;; esac
            seen=$seen$base/
            printf '%s\t%s\n' "$base" "$file"
        done
    done | sort -t "$tab" -k1,1 | cut -f2-
}

# The command the unit runs, and the file that set it, on two lines (systemd's folders in its order of precedence,
# UNIT_FILE's own first: the default, /etc/systemd/system, or another given)
root=${CLEAN_SYSTEMD_ROOT-}
case $unit in */*) beside=${unit%/*} ;; *) beside=. ;; esac  # (UNIT_FILE=pyseb.service: the current folder's)
result=$({ printf '%s\n' "$unit"
           dropins "${unit##*/}" "$beside" "$root/etc/systemd/system.control" "$root/run/systemd/system.control" \
               "$root/run/systemd/transient" "$root/etc/systemd/system" "$root/run/systemd/system" \
               "$root/usr/local/lib/systemd/system" "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
         } | {
    command= by=
    while IFS= read -r file; do
        [ -f "$file" ] && [ -r "$file" ] || continue
        while IFS= read -r line || [ -n "$line" ]; do  # (a last line without its newline read too)
            case $line in
                ExecStart=*) command=${line#ExecStart=}; by=$file ;;
                *) continue ;;
            esac
            [ -n "$command" ] || by=  # (an empty ExecStart=: what came before is cleared)
        done < "$file"
    done
    printf '%s\n%s' "$by" "$command"
})
by=${result%%"$nl"*}
command=${result#*"$nl"}
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
