#!/usr/bin/env python3
"""Writes mmwatch's bash completion from its own --help, the way help2man
writes the man page: the flag table in src/daemon/options.cpp is the one
source, so a new flag completes as soon as it is in --help.
    bash_completion.py MMWATCH OUTPUT [WRAPPER]
(WRAPPER: a cross build's exe_wrapper, e.g. qemu-aarch64, that runs MMWATCH.)

A flag's value completes by its placeholder: DIR as a directory, FILE as a
file, anything else (HOST:PORT, DUR, SIZE, N, URL, ...) not at all.
Subcommands (`mmwatch top`, named in --help's usage lines) complete as the
first word, and after one, its own flags from `mmwatch SUB --help`."""

import re
import subprocess
import sys

FLAG = re.compile(r"^  (?:-[a-z], )?(--[a-z0-9-]+)(?: (\S+))?")
SUBCOMMAND = re.compile(r"^(?:usage:)? +mmwatch ([a-z]+) ")

TEMPLATE = """\
# bash completion for mmwatch, generated from `mmwatch --help` by
# dist/bash_completion.py: every flag, directories after DIR flags,
# files after FILE flags.
_mmwatch() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
%(subcommands)s    case $prev in
%(arms)s    esac
    mapfile -t COMPREPLY < <(compgen -W "%(flags)s" -- "$cur")
}
complete -F _mmwatch mmwatch
"""

# What follows each kind of placeholder.
ARMS = {
    "DIR": 'compopt -o filenames\n            mapfile -t COMPREPLY < <(compgen -d -- "$cur")',
    "FILE": 'compopt -o filenames\n            mapfile -t COMPREPLY < <(compgen -f -- "$cur")',
    "other": "COMPREPLY=()",  # a value to type: offering flags there would mislead
}


def flags(help_text):
    """[(flag, placeholder or None)] of the options section, in order."""
    out = []
    for line in help_text.split("\n"):
        m = FLAG.match(line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def arms_of(table, indent):
    """The case arms completing each flag's value."""
    by_kind = {kind: [] for kind in ARMS}
    for flag, arg in table:
        if arg:
            by_kind[arg if arg in ("DIR", "FILE") else "other"].append(flag)
    pad = " " * indent
    return "".join("%s%s)\n%s    %s\n%s    return ;;\n" % (pad, "|".join(names), pad,
                                                           ("\n" + pad + "    ").join(l.strip() for l in ARMS[kind].split("\n")), pad)
                   for kind, names in by_kind.items() if names)


def help_of(command):
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def main(binary, output, wrapper=""):
    run = ([wrapper] if wrapper else []) + [binary]
    help_text = help_of(run + ["--help"])
    table = flags(help_text)
    if not table:
        sys.exit("bash_completion.py: no flags in %s --help" % binary)
    subs = [m.group(1) for m in map(SUBCOMMAND.match, help_text.split("\n")) if m]
    # After `mmwatch SUB`, SUB's own flags (and value completion); as the
    # first word, the subcommands beside the daemon's flags.
    sub_text = ""
    for sub in subs:
        sub_table = flags(help_of(run + [sub, "--help"]))
        sub_text += ('    if [ "${COMP_WORDS[1]}" = %s ] && [ "$COMP_CWORD" -gt 1 ]; then\n'
                     '        case $prev in\n%s        esac\n'
                     '        mapfile -t COMPREPLY < <(compgen -W "%s" -- "$cur")\n        return\n    fi\n'
                     % (sub, arms_of(sub_table, 8), " ".join(flag for flag, _ in sub_table)))
    words = " ".join(flag for flag, _ in table)
    if subs:  # the first word may also be a subcommand
        sub_text += '    local first=""\n    [ "$COMP_CWORD" -eq 1 ] && first=" %s"\n' % " ".join(subs)
        words += "${first}"
    with open(output, "w") as f:
        f.write(TEMPLATE % {"arms": arms_of(table, 8), "flags": words, "subcommands": sub_text})

if __name__ == "__main__":
    main(*sys.argv[1:])
