#!/usr/bin/env bash
# Installs what debertac needs on Debian 12, idempotently: LLVM 19 (C API), OpenBLAS,
# pkg-config, and the tools the tests call (a C compiler, GNU time). Swift itself is
# expected at /opt/swift or on PATH (see README).
# `--with-ray` also installs Ray Data into the active Python (`python3 -m pip install 'ray[data]'`), for
# examples/ray: activate a virtual environment first where python3 is Debian's own (PEP 668 refuses pip
# there). scripts/test_python.sh installs Ray into its own virtual environment by itself.
set -euo pipefail

with_ray=0
for arg in "$@"; do
    case "$arg" in
        --with-ray) with_ray=1 ;;
        *) echo "setup: unknown option '$arg' (expected --with-ray)" >&2; exit 2 ;;
    esac
done

packages=(llvm-19-dev libopenblas-dev pkg-config gcc libc6-dev binutils time python3 python3-venv python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "setup: system packages already installed" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "setup: swift is at /opt/swift/usr/bin; add it to PATH" >&2
    else
        echo "setup: swift 6 not found: install it from swift.org" >&2
        exit 1
    fi
fi

if ((with_ray)); then
    echo "setup: installing ray[data] into $(command -v python3)" >&2
    python3 -m pip install --quiet "ray[data]"
fi
