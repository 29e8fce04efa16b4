# shellcheck shell=bash
# Swift 6 on Linux for the ChargeKit scripts: Debian trixie's `swiftlang` in a
# `debootstrap --variant=minbase` chroot, made once and cached outside the repository.
# Sourced by test-linux.sh and bench-linux.sh; needs root (debootstrap, mount, chroot).
#
#   swift_chroot_prepare     makes the chroot unless the cache has it already
#   swift_chroot_run [--bind DIR]... [--env NAME=VALUE]... -- COMMAND
#                            runs COMMAND (a bash command line) inside, with each DIR
#                            bind-mounted at its own path and only the given environment
#
# Environment:
#   CHARGEKIT_SWIFT_CHROOT   where the chroot lives
#                            (default: ${XDG_CACHE_HOME:-$HOME/.cache}/chargekit/swift-trixie)
#   CHARGEKIT_DEBIAN_MIRROR  the Debian mirror for debootstrap (default: the first Debian
#                            archive in this machine's /etc/apt sources)

swift_chroot_root="${CHARGEKIT_SWIFT_CHROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/chargekit/swift-trixie}"
# Swift 6.0.3, what its compiler needs to link on Linux, and the CA certificates the core's
# HTTP client loads when it is built (it refuses to start without any, even for http://).
swift_chroot_packages=(swiftlang libc6-dev libstdc++-14-dev ca-certificates)
swift_chroot_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The Debian mirror for debootstrap: CHARGEKIT_DEBIAN_MIRROR, or the first archive in
# /etc/apt whose path ends in /debian (deb822 `URIs:` lines and one-line `deb` entries).
swift_chroot_mirror() {
    if [ -n "${CHARGEKIT_DEBIAN_MIRROR:-}" ]; then
        echo "$CHARGEKIT_DEBIAN_MIRROR"
        return
    fi
    local mirror
    mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
        | grep -E '/debian/?$' | head -n 1 || true)"
    if [ -z "$mirror" ]; then
        mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" { options = 0
                for (i = 2; i <= NF; i++) {
                    if ($i ~ /^\[/) options = 1
                    if (!options) { print $i; break }
                    if ($i ~ /\]$/) options = 0
                } }' \
            | grep -E '/debian/?$' | head -n 1 || true)"
    fi
    if [ -z "$mirror" ]; then
        echo "no Debian archive in /etc/apt: set CHARGEKIT_DEBIAN_MIRROR to a Debian mirror URL" >&2
        return 1
    fi
    echo "${mirror%/}"
}

# Fails if anything is mounted under $1 in this mount namespace: deleting a directory with
# a bind mount inside would delete what is mounted there.
swift_chroot_assert_unmounted() {
    if awk -v dir="$1" 'index($5, dir) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        echo "something is still mounted under $1; unmount it first" >&2
        return 1
    fi
}

swift_chroot_prepare() {
    swift_chroot_is_ready && return 0
    mkdir -p "$(dirname "$swift_chroot_root")"
    # One run prepares at a time; another waits, then finds the chroot ready.
    exec 9>"$swift_chroot_root.lock"
    flock 9
    swift_chroot_is_ready || swift_chroot_build
    flock -u 9
    exec 9>&-
}

# The chroot has the packages of this version of the script.
swift_chroot_is_ready() {
    [ -f "$swift_chroot_root/.chargekit-swift" ] \
        && [ "$(cat "$swift_chroot_root/.chargekit-swift")" = "${swift_chroot_packages[*]}" ]
}

swift_chroot_build() {
    local root="$swift_chroot_root"
    if ! command -v debootstrap >/dev/null; then
        echo "== installing debootstrap"
        apt-get update -q && apt-get install -y -q debootstrap
    fi
    if [ ! -x "$root/usr/bin/apt-get" ]; then
        local mirror partial="$root.partial"
        mirror="$(swift_chroot_mirror)"
        # Built beside its final place and moved there whole, so an interrupted run leaves
        # nothing that looks finished.
        swift_chroot_assert_unmounted "$partial"
        rm -rf "$partial"
        echo "== debootstrap trixie (minbase) from $mirror into $root"
        # In a private mount namespace: whatever debootstrap mounts goes away with it.
        unshare --mount --propagation private \
            debootstrap --variant=minbase trixie "$partial" "$mirror" >"$root.debootstrap.log" 2>&1 \
            || { tail -n 30 "$root.debootstrap.log" >&2; return 1; }
        mv "$partial" "$root"
    fi
    echo "== installing ${swift_chroot_packages[*]} into the chroot"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare --mount --propagation private bash -euc '
        root="$1"; shift
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
            bash -euc "apt-get update -q && apt-get install -y -q --no-install-recommends $* && apt-get clean"
    ' prepare "$root" "${swift_chroot_packages[@]}"
    echo "${swift_chroot_packages[*]}" >"$root/.chargekit-swift"
}

# Usage: swift_chroot_run [--bind DIR]... [--env NAME=VALUE]... -- COMMAND
swift_chroot_run() {
    local binds=() environment=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        case "$1" in
            --bind) binds+=("$2") ;;
            --env) environment+=("$2") ;;
            *) echo "swift_chroot_run: unknown option $1" >&2; return 2 ;;
        esac
        shift 2
    done
    shift
    # A private mount namespace and PID namespace: the mounts, and any process the tests leave
    # behind (a server, a simulator), end with it even if this script is killed.
    unshare --mount --propagation private --pid --fork \
        bash "$swift_chroot_lib/enter-chroot.sh" "$swift_chroot_root" "${binds[@]}" -- "$1" "${environment[@]}"
}
