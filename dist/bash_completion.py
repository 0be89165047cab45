#!/usr/bin/env python3
"""Writes mmwatch's bash completion from its own --help, the way help2man
writes the man page: the flag table in src/daemon/options.cpp is the one
source, so a new flag completes as soon as it is in --help.
    bash_completion.py MMWATCH OUTPUT [WRAPPER]
(WRAPPER: a cross build's exe_wrapper, e.g. qemu-aarch64, that runs MMWATCH.)

A flag's value completes by its placeholder: DIR as a directory, FILE as a
file, anything else (HOST:PORT, DUR, SIZE, N, URL, ...) not at all."""

import re
import subprocess
import sys

FLAG = re.compile(r"^  (?:-[a-z], )?(--[a-z0-9-]+)(?: (\S+))?")

TEMPLATE = """\
# bash completion for mmwatch, generated from `mmwatch --help` by
# dist/bash_completion.py: every flag, directories after DIR flags,
# files after FILE flags.
_mmwatch() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
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


def main(binary, output, wrapper=""):
    command = ([wrapper] if wrapper else []) + [binary, "--help"]
    help_text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    table = flags(help_text)
    if not table:
        sys.exit("bash_completion.py: no flags in %s --help" % binary)
    by_kind = {kind: [] for kind in ARMS}
    for flag, arg in table:
        if arg:
            by_kind[arg if arg in ("DIR", "FILE") else "other"].append(flag)
    arms = "".join("        %s)\n            %s\n            return ;;\n" % ("|".join(names), ARMS[kind])
                   for kind, names in by_kind.items() if names)
    with open(output, "w") as f:
        f.write(TEMPLATE % {"arms": arms, "flags": " ".join(flag for flag, _ in table)})

if __name__ == "__main__":
    main(*sys.argv[1:])
