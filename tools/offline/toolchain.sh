#!/usr/bin/env bash
# tools/offline/toolchain.sh: build the Pulumi toolchain from the Go module proxy and
# install it where the npm `pulumi` launcher looks for it.
#
# The npm `pulumi` package (a devDependency) is only a launcher: it runs
# $PULUMI_HOME/versions/<version>/bin/pulumi and would download that CLI from
# get.pulumi.com when missing, which is not reachable here. So we build:
#   - pulumi                         the CLI (tools/offline/toolchain/cli, a wrapper module
#                                    around github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
#   - pulumi-language-nodejs         our own minimal Node.js language host
#                                    (tools/offline/toolchain/langhost)
#   - pulumi-resource-pulumi-nodejs  the dynamic-provider shim (tools/offline/toolchain/)
# into a cache folder keyed by version and by a hash of those sources:
#   ${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}/toolchain/<version>-<hash>/bin
# and copy them to ${PULUMI_HOME:-$HOME/.pulumi}/versions/<version>/bin.
# A second run finds everything in place and takes a second or two.
#
# Needs: Go >= 1.25 (with access to the Go module proxy on first build), Node.js.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/tools/offline/toolchain"
CACHE_ROOT="${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}/toolchain"
PULUMI_HOME_DIR="${PULUMI_HOME:-$HOME/.pulumi}"

die() { echo "toolchain: error: $*" >&2; exit 1; }
log() { echo "toolchain: $*" >&2; }

# step "<title>" cmd...: run one step and print how long it took.
step() {
    local title="$1"; shift
    local t0="$EPOCHREALTIME"
    log "-> $title"
    "$@"
    log "   done in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }') ($title)"
}

T_START="$EPOCHREALTIME"

# --- the version the launcher wants ------------------------------------------
pulumi_version() {
    local v="" f="$ROOT/node_modules/pulumi/package.json"
    if [[ -f "$f" ]]; then
        v="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | head -n1)"
    fi
    if [[ -z "$v" ]]; then
        # Not installed yet: the devDependency pin in package.json.
        v="$(sed -n 's/^[[:space:]]*"pulumi":[[:space:]]*"[\^~=v]*\([0-9][^"]*\)".*/\1/p' "$ROOT/package.json" | head -n1)"
    fi
    [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
        die "could not read an exact Pulumi version from node_modules/pulumi/package.json or package.json devDependencies (got '${v}'); pin \"pulumi\": \"X.Y.Z\""
    echo "$v"
}
VERSION="$(pulumi_version)"

# --- Go -----------------------------------------------------------------------
command -v go >/dev/null 2>&1 ||
    die "Go is not installed (or not on PATH): install Go >= 1.25 from https://go.dev/dl/ (Debian bookworm's golang package is too old) and put it on PATH, then run this again"
GOVERSION="$(go env GOVERSION)"
if [[ "$GOVERSION" =~ ^go1\.([0-9]+) ]] && (( BASH_REMATCH[1] < 25 )); then
    die "$GOVERSION is too old: install Go >= 1.25"
fi
command -v node >/dev/null 2>&1 || die "Node.js is not on PATH: Pulumi programs need it (install Node.js >= 24)"

# The committed modules must pin the same release as the launcher.
check_pin() { # <go.mod> <module path>
    local pinned
    pinned="$(awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1")"
    [[ "$pinned" == "v$VERSION" ]] || die "$1 pins $2 at '${pinned:-nothing}' but the npm launcher is $VERSION.
  Move both modules to the launcher's version:
    (cd $SRC/cli && go get github.com/pulumi/pulumi/pkg/v3@v$VERSION github.com/pulumi/pulumi/sdk/v3@v$VERSION && go mod tidy)
    (cd $SRC/langhost && go get github.com/pulumi/pulumi/sdk/v3@v$VERSION && go mod tidy)
  (and copy any new 'replace' line of upstream pkg/go.mod into cli/go.mod)"
}
check_pin "$SRC/cli/go.mod" github.com/pulumi/pulumi/pkg/v3
check_pin "$SRC/cli/go.mod" github.com/pulumi/pulumi/sdk/v3
check_pin "$SRC/langhost/go.mod" github.com/pulumi/pulumi/sdk/v3

# --- cache key: version + hash of the committed sources -----------------------
HASH="$(cd "$SRC" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name 'pulumi-resource-*' \) -print |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
CACHE="$CACHE_ROOT/$VERSION-$HASH"
mkdir -p "$CACHE/bin"

# One run at a time per cache folder (CI and a developer may overlap).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock -n 9 || { log "another toolchain build holds $CACHE/.lock: waiting"; flock 9; }
fi

# Everything the builds do, goes through the module proxy; -mod=readonly makes
# sure the committed go.sum files are what we build from.
export GOFLAGS="-mod=readonly -buildvcs=false"
BUILT=()

# build_go <name> <module dir> <ldflags> <package> <time hint>: build into the cache unless there.
build_go() {
    local name="$1" dir="$2" ldflags="$3" pkg="$4" hint="$5" out="$CACHE/bin/$1"
    if [[ -x "$out" ]]; then
        log "   $name: cached ($out)"
        return
    fi
    log "   $name: building $pkg with $GOVERSION ($hint)"
    (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg") ||
        die "go build of $name failed (see above). A network error means the Go module proxy ($(go env GOPROXY)) is not reachable"
    mv -f "$out.tmp" "$out" # atomic: an interrupted build never counts as done
    BUILT+=("$name")
}

step "pulumi CLI v$VERSION" build_go pulumi "$SRC/cli" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "from scratch: 6 to 13 min on 2 cores"
step "pulumi-language-nodejs (tools/offline/toolchain/langhost)" build_go pulumi-language-nodejs "$SRC/langhost" \
    "-s -w -X main.version=$VERSION" . "about 1 min from scratch"

install_shim() {
    local out="$CACHE/bin/pulumi-resource-pulumi-nodejs"
    if ! cmp -s "$SRC/pulumi-resource-pulumi-nodejs" "$out"; then
        install -m 0755 "$SRC/pulumi-resource-pulumi-nodejs" "$out"
        BUILT+=(pulumi-resource-pulumi-nodejs)
    fi
}
step "dynamic provider shim" install_shim

# --- install where the launcher (and the Automation API) look ----------------
DEST="$PULUMI_HOME_DIR/versions/$VERSION/bin"
INSTALLED=()
install_bins() {
    mkdir -p "$DEST"
    local f
    for f in pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs; do
        if ! cmp -s "$CACHE/bin/$f" "$DEST/$f"; then
            # Copy (not symlink) so that the CLI finds its bundled plugins next to
            # itself, and a cleaned cache does not break the installation.
            install -m 0755 "$CACHE/bin/$f" "$DEST/$f.tmp"
            mv -f "$DEST/$f.tmp" "$DEST/$f"
            INSTALLED+=("$f")
        fi
    done
}
step "install into $DEST" install_bins

got="$("$DEST/pulumi" version 2>/dev/null || true)"
[[ "$got" == "v$VERSION" ]] || die "$DEST/pulumi version printed '$got', expected v$VERSION"

log "summary ($(awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }')):"
log "  Pulumi version : v$VERSION ($GOVERSION)"
log "  cache          : $CACHE/bin"
log "  built now      : ${BUILT[*]:-nothing (all cached)}"
log "  installed into : $DEST (${INSTALLED[*]:-already up to date})"
log "  use it with    : npx pulumi ... (from $ROOT), or PATH=$DEST:\$PATH"
