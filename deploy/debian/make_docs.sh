#!/bin/sh
# Writes the package's documentation into an install tree: a man page per binary, made from its
# --help by help2man, and the Debian changelog, both gzip -9n'd as Debian wants them.
# Usage: make_docs.sh BIN_DIRS VERSION CHANGELOG DEST_PREFIX
#   BIN_DIRS: where progressd and progressctl are, colon-separated; DEST_PREFIX: the tree's /usr.
set -eu
bin_dirs=$1 version=$2 changelog=$3 prefix=$4
command -v help2man >/dev/null || { echo "make_docs: help2man is missing: run tools/setup" >&2; exit 1; }

man_dir=$prefix/share/man/man1
doc_dir=$prefix/share/doc/progressd
mkdir -p "$man_dir" "$doc_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Run by name from PATH, so that the usage lines say "progressd", not the build dir's path.
export PATH="$bin_dirs:$PATH"
see_also='[SEE ALSO]
progressd(1), progressctl(1); /usr/share/doc/progressd, and docs/ in the source tree.
'

cat >"$work/progressd.h2m" <<END
[FILES]
.TP
.I /etc/default/progressd
Settings of progressd.service, one PROGRESSD_* variable a line.
.TP
.I /var/lib/progressd
The service's data dir: the LMDB environment and the generated HS256 secret.
$see_also
END
help2man --no-info --version-string="$version" --section=1 \
    --name="progress-tracking HTTP server for video and learning platforms" \
    --include="$work/progressd.h2m" --output="$work/progressd.1" progressd

# progressctl's --help lists its subcommands; each one's own --help goes in a section of its own.
{
    echo '[SUBCOMMANDS]'
    # The subcommands as --help lists them: the lines under "Subcommands:", a name then a summary.
    commands=$(progressctl --help | sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
    [ -n "$commands" ] || { echo "make_docs: no subcommands in progressctl --help" >&2; exit 1; }
    for command in $commands; do
        echo '.SS' "$command"
        echo '.nf'
        progressctl "$command" --help | sed -e 's/\\/\\e/g' -e 's/^[.'\'']/\\\&&/'
        echo '.fi'
    done
    printf '%s' "$see_also"
} >"$work/progressctl.h2m"
help2man --no-info --no-discard-stderr --version-string="$version" --section=1 \
    --name="operator tool for progressd: tokens, hot backups, PostgreSQL import and export" \
    --include="$work/progressctl.h2m" --output="$work/progressctl.1" progressctl

for page in progressd progressctl; do
    gzip -9n -c "$work/$page.1" >"$man_dir/$page.1.gz"
done
gzip -9n -c "$changelog" >"$doc_dir/changelog.Debian.gz"
