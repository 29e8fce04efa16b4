# need_debian_command COMMAND PACKAGE: prints the path of COMMAND; on a fresh Debian machine
# run as root (CI), installs PACKAGE first if the command is missing. Fails with a message
# saying what to install otherwise.
need_debian_command() {
    local command="$1" package="$2" found
    found="$(command -v "$command" || true)"
    if [ -z "$found" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
        found="$(command -v "$command" || true)"
    fi
    if [ -z "$found" ]; then
        echo "needs $command: apt-get install -y --no-install-recommends $package" >&2
        return 1
    fi
    echo "$found"
}
