#!/usr/bin/env bash
# sync.sh rewrites the files of the corpus from local git snapshots of the
# upstream repositories, exactly as each project's SOURCE file lists them.
#
#   MIRROR=/path/to/mirrors test/realworld/sync.sh [PROJECT...]
#
# MIRROR holds one bare git directory per repository, named owner+name/repo
# (default /work/.mirror). With no PROJECT, every project under testdata/ is
# synced. A SOURCE file reads:
#
#   repository: github.com/OWNER/NAME
#   commit: SHA
#   license: PATH-IN-REPO [PATH-IN-REPO...]   (copied beside the files, by base name)
#   paths:
#     PATH-IN-REPO
#     ...
#   (free text after a blank line: notes, skipped files)
#
# Symbolic links are recreated as links; list their targets too.
#
# To add a project, write its SOURCE by hand (or with `git ls-tree -r
# --name-only COMMIT | grep ...` for the list) and run this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mirror=${MIRROR:-/work/.mirror}
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  for d in "$here"/testdata/*/; do [ -f "$d/SOURCE" ] && projects+=("$(basename "$d")"); done
fi
for p in "${projects[@]}"; do
  dir="$here/testdata/$p"
  src="$dir/SOURCE"
  repo=$(sed -n 's/^repository: github.com\///p' "$src")
  commit=$(sed -n 's/^commit: //p' "$src")
  licenses=$(sed -n 's/^license: //p' "$src")
  git="$mirror/${repo/\//+}/repo"
  [ -d "$git" ] || { echo "sync: $p: no snapshot of $repo at $git" >&2; exit 1; }
  # Keep SOURCE, drop the rest, then copy afresh.
  find "$dir" -mindepth 1 -not -name SOURCE -delete
  for l in $licenses; do git -C "$git" show "$commit:$l" >"$dir/$(basename "$l")"; done
  awk '/^paths:/{on=1; next} on && /^  /{sub(/^  /, ""); print; next} on{exit}' "$src" |
  while IFS= read -r path; do
    mkdir -p "$dir/$(dirname "$path")"
    if [ "$(git -C "$git" ls-tree "$commit" -- "$path" | cut -c1-6)" = 120000 ]; then
      # A symbolic link stays one (its target should be listed too).
      ln -s "$(git -C "$git" show "$commit:$path")" "$dir/$path"
    else
      git -C "$git" show "$commit:$path" >"$dir/$path"
    fi
  done
  echo "sync: $p: $(find "$dir" -type f | wc -l) files, $(du -sh "$dir" | cut -f1)"
done
