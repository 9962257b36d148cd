#!/bin/bash
# criu-trixie.sh DIR: fetch Debian trixie's CRIU 4.1.1 and the libraries it needs (glibc 2.41
# included) into DIR, without installing anything or touching the system's apt state, and print
# the path of a wrapper that runs it with its own ld.so. For kernels >= 6.13, where bookworm's
# CRIU 3.17 stops at "vdso: Unexpected rt vDSO area bounds" ([vvar_vclock]). Needs a reachable
# Debian mirror (deb.debian.org). Use:  CRIU=$(criu-trixie.sh /tmp/criu-4.1) criu-probe.sh
#                                       runc --criu $(criu-trixie.sh /tmp/criu-4.1) checkpoint ...
set -eu
D=$(mkdir -p "${1:?usage: criu-trixie.sh DIR}" && cd "$1" && pwd)
L=$D/root/usr/lib/x86_64-linux-gnu
if [ ! -x "$D/root/usr/sbin/criu" ]; then
  mkdir -p "$D/apt/lists/partial" "$D/apt/archives/partial" "$D/debs"
  echo "deb http://deb.debian.org/debian trixie main" > "$D/apt/sources.list"
  O=(-o Dir::Etc::SourceList="$D/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o Dir::State::Lists="$D/apt/lists" -o Dir::Cache="$D/apt" -o Dir::Cache::pkgcache=
     -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root)
  apt-get "${O[@]}" -qq update >&2
  # criu's Depends, recursively, minus what only the package scripts need
  ( cd "$D/debs" && apt-get "${O[@]}" -qq download criu libcompel1 libc6 libgnutls30t64 \
      libnftables1 libnl-3-200 libprotobuf-c1 libbsd0 libnet1 libuuid1 libmd0 libmnl0 libnftnl11 \
      libjansson4 libxtables12 libedit2 libtinfo6 libp11-kit0 libffi8 libidn2-0 libunistring5 \
      libtasn1-6 libnettle8t64 libhogweed6t64 libgmp10 >&2 )
  for f in "$D"/debs/*.deb; do dpkg -x "$f" "$D/root"; done
fi
cat > "$D/criu" <<WRAP
#!/bin/sh
exec $L/ld-linux-x86-64.so.2 --library-path $L $D/root/usr/sbin/criu "\$@"
WRAP
chmod +x "$D/criu"
"$D/criu" --version >&2
echo "$D/criu"
