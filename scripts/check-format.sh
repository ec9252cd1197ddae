#!/bin/sh
# Fails when a C file differs from the committed .clang-format style.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find agent platform include tests bench fuzz -name '*.[ch]')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -w) files clean"
