# shellcheck shell=bash
# Runs a command in the Swift chroot; called by swift_chroot_run (swift-chroot.sh) inside a
# private mount and PID namespace, so nothing mounted here is seen outside.
#
# Usage: enter-chroot.sh ROOT DIR... -- COMMAND [NAME=VALUE...]
#   ROOT      the chroot
#   DIR       bind-mounted at the same path inside (the repository, the Cargo target dir)
#   COMMAND   a bash command line, run with Swift on PATH and only the NAME=VALUE environment
set -euo pipefail

root="$1"
shift
binds=()
while [ "$1" != "--" ]; do
    binds+=("$1")
    shift
done
shift
command="$1"
shift

mounted=()
# Unmounts in reverse order on any exit. The namespace would drop the mounts anyway when it
# ends; this keeps the chroot clean while it lives.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -R "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT

mount_at() {
    mkdir -p "$2"
    mount "${@:3}" "$1" "$2"
    mounted+=("$2")
}

# A /proc of this PID namespace (so only our processes are in it), the host's devices, and
# a fresh /tmp for the tests' servers and caches.
mount_at proc "$root/proc" -t proc
mount_at /dev "$root/dev" --rbind
mount_at tmpfs "$root/tmp" -t tmpfs
for dir in "${binds[@]}"; do
    mount_at "$dir" "$root$dir" --bind
done

status=0
chroot "$root" /usr/bin/env -i \
    PATH=/usr/libexec/swift/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@" \
    bash -euo pipefail -c "$command" || status=$?
exit "$status"
