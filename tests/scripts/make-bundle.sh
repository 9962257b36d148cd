#!/bin/sh
# make-bundle.sh DIR [ARG...]: a bundle whose rootfs is Debian's busybox-static
# (no downloads), with a config.json from `berth spec` that runs ARG... (default
# `sh`) without a terminal. BERTH may name the berth binary to use; OCI_VERSION,
# if set, replaces the config's ociVersion (bench/: crun 1.8 refuses 1.2.x).
set -eu
dir=$1; shift
berth=${BERTH:-berth}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-bundle.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp" "$dir/rootfs/etc" \
    "$dir/rootfs/root"
cp "$busybox" "$dir/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$dir/rootfs/bin/$applet" ] || ln -s busybox "$dir/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
echo 'root:x:0:' > "$dir/rootfs/etc/group"
rm -f "$dir/config.json"
"$berth" spec --bundle "$dir"
OCI_VERSION=${OCI_VERSION:-} python3 - "$dir/config.json" "$@" <<'PY'
import json, os, sys
path, args = sys.argv[1], sys.argv[2:] or ["sh"]
c = json.load(open(path))
if os.environ["OCI_VERSION"]:
    c["ociVersion"] = os.environ["OCI_VERSION"]
c["process"]["terminal"] = False
c["process"]["args"] = args
json.dump(c, open(path, "w"), indent=2)
PY
