#!/bin/sh
# The layer rule (docs/architecture.md): agent/<layer>/ files include only
# their own layer and the layers below it. The order, lowest first, is the
# one line below; agent/*.c (main and the router) may include every layer.
# Prints each include that points up and exits 1 if there is any.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
layers="core crypto config sale store http odoo pos central report"
rank() {
    i=0
    for l in $layers; do
        [ "$l" = "$1" ] && { echo "$i"; return; }
        i=$((i + 1))
    done
    echo 99
}
bad=0
for dir in "$root"/agent/*/; do
    layer=$(basename "$dir")
    [ "$layer" = www ] && continue
    own=$(rank "$layer")
    if [ "$own" = 99 ]; then
        echo "agent/$layer/: not a known layer (add it to scripts/check-layers.sh)"
        bad=1
        continue
    fi
    for f in "$dir"*.c "$dir"*.h; do
        [ -e "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_0-9]*\.h".*/\1/p' "$f"); do
            r=$(rank "$inc")
            if [ "$r" -gt "$own" ]; then
                echo "${f#"$root"/}: includes $inc/ (a higher layer than $layer/)"
                bad=1
            fi
        done
    done
done
[ "$bad" = 0 ] && echo "layers: every include points down"
exit "$bad"
