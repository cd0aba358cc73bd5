#!/bin/sh
# make clean's virtualenvs: clean.sh UNIT_FILE CLEAN_VENV VENV... removes each VENV (relative to the checkout, the current
# folder), but keeps, loudly, one the installed unit UNIT_FILE runs PySEB with: without it systemd could not start
# PySEB at the next boot or restart (status 203/EXEC, again every 10 s), the loads left unregulated. CLEAN_VENV not
# empty: removed all the same (the owner has stopped the service and makes the venv again before starting it).
# The unit's drop-ins (UNIT_FILE.d/*.conf, which `sudo systemctl edit pyseb` writes) are read too: an ExecStart= there
# replaces the unit's, and the venv it names is the one PySEB runs with.
unit=$1
force=$2
shift 2
# (root is told its commands bare: DietPi logs in as root and has no sudo)
sudo="sudo "; if [ "$(id -u)" = 0 ]; then sudo=; fi
here=$(pwd -P)  # (the unit names the checkout as render_service.py resolved it: symlinks followed)
for venv in "$@"; do
    case $venv in /*) full=$venv ;; *) full=$here/$venv ;; esac
    python= by=
    for file in "$unit" "$unit".d/*.conf; do
        python=$(grep -s '^ExecStart=' "$file" | grep -oF "$full/bin/python" | head -n 1)
        if [ -n "$python" ]; then by=$file; break; fi
    done
    if [ -z "$force" ] && [ -n "$python" ] && [ -e "$venv" ]; then
        echo "make clean: $venv kept: $by runs PySEB with $python (without it the service would not start" \
             "again at the next boot or restart). To make it again: ${sudo}systemctl stop pyseb, make clean CLEAN_VENV=1," \
             "make check, ${sudo}systemctl start pyseb" >&2
    else
        rm -rf "$venv"
    fi
done
