#!/usr/bin/env bash
# Build the swarmlab lab images offline, idempotently, with caching.
#
# Sources: Debian's archive (debootstrap, apt inside builds) and the Go module
# proxy. No image registry is needed.
#
#   base      swarmlab/debian:bookworm   debootstrap --variant=minbase + docker import
#                                        (skipped when the image exists; set
#                                        SWARMLAB_BASE_IMAGE=debian:bookworm-slim to
#                                        use another base instead)
#   node      swarmlab/node:latest       images/node (dockerd + sshd lab node)
#   registry  swarmlab/registry:2.8      tools/offline/images/registry (Debian's docker-registry)
#   whoami    swarmlab/whoami:latest     tools/offline/images/whoami (Go, stdlib only), and
#             swarmlab/whoami:v2         the same binary, variant label/env v2
#   traefik   swarmlab/traefik:<version> tools/offline/images/traefik (Go module proxy build)
#   board     swarmlab/board:<version>   images/board (the product's swarm board: Debian's nodejs;
#                                        the version is images/board/package.json's)
#
# Each image carries the label swarmlab.inputs=<hash of its inputs: Dockerfile,
# files, base image id, Go version, ...>; an image whose tag already has that
# label is not rebuilt. Go binaries are cached as
# $SWARMLAB_CACHE/bin/<name>-<version>-<hash>. A second run rebuilds nothing.
#
# Usage: tools/offline/images.sh [--only base,node,registry,whoami,traefik,board] [--force]
# Env:   SWARMLAB_CACHE (default ~/.cache/swarmlab), SWARMLAB_BASE_IMAGE,
#        SWARMLAB_DEBIAN_MIRROR (default http://deb.debian.org/debian)
# Writes $SWARMLAB_CACHE/images.env (SWARMLAB_*_IMAGE=...) for tests to source.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}
BIN_DIR=$CACHE/bin
LOG_DIR=$CACHE/logs
MIRROR=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

DEFAULT_BASE_IMAGE=swarmlab/debian:$SUITE
BASE_IMAGE=${SWARMLAB_BASE_IMAGE:-$DEFAULT_BASE_IMAGE}
NODE_IMAGE=swarmlab/node:latest
REGISTRY_IMAGE=swarmlab/registry:2.8
WHOAMI_IMAGE=swarmlab/whoami:latest
WHOAMI_V2_IMAGE=swarmlab/whoami:v2
OFFLINE_IMAGES=$ROOT/tools/offline/images # stand-ins for Docker Hub images
TRAEFIK_MOD_DIR=$OFFLINE_IMAGES/traefik/build
# The version is pinned in one place: the wrapper module's go.mod.
TRAEFIK_VERSION=$(awk '$1 == "require" && $2 == "github.com/traefik/traefik/v3" { print $3 }' "$TRAEFIK_MOD_DIR/go.mod")
TRAEFIK_IMAGE=swarmlab/traefik:$TRAEFIK_VERSION
BOARD_DIR=$ROOT/images/board
BOARD_VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$BOARD_DIR/package.json")
BOARD_IMAGE=swarmlab/board:$BOARD_VERSION

ALL_STEPS=(base node registry whoami traefik board)

die() {
	echo "images.sh: $*" >&2
	exit 1
}
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

ONLY=""
FORCE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--only) [ $# -ge 2 ] || die "--only needs a list, e.g. --only node,registry"; ONLY=$2; shift 2 ;;
	--only=*) ONLY=${1#--only=}; shift ;;
	--force) FORCE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
done

declare -A WANT=()
if [ -z "$ONLY" ]; then
	for s in "${ALL_STEPS[@]}"; do WANT[$s]=1; done
else
	IFS=',' read -r -a only_list <<<"$ONLY"
	for s in "${only_list[@]}"; do
		case " ${ALL_STEPS[*]} " in *" $s "*) WANT[$s]=1 ;; *) die "--only: unknown image '$s' (known: ${ALL_STEPS[*]})" ;; esac
	done
	# node, registry, traefik and board are built FROM the base image.
	if [ -n "${WANT[node]:-}${WANT[registry]:-}${WANT[traefik]:-}${WANT[board]:-}" ]; then WANT[base]=1; fi
fi

mkdir -p "$CACHE" "$BIN_DIR" "$LOG_DIR"

# Before taking the lock: a dockerd started from here must not inherit its fd.
"$ROOT/tools/offline/dockerd.sh"

# One build at a time per cache directory.
exec 9>"$CACHE/images.lock"
if ! flock -n 9; then
	echo "images.sh: another images.sh run holds $CACHE/images.lock; waiting" >&2
	flock 9
fi

# --- helpers --------------------------------------------------------------------
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# hash_inputs f:<file>... s:<string>...: a short, stable hash of file contents
# (with their paths relative to the repo, tools/offline/ dropped so that keys name images/<name>/<file>
# wherever the build tooling lives) and strings.
hash_inputs() {
	local a rel
	for a in "$@"; do
		case "$a" in
		f:*)
			rel=${a#f:$ROOT/}
			printf 'file %s ' "${rel#tools/offline/}"
			sha256sum <"${a#f:}" | cut -d' ' -f1
			;;
		s:*) printf 'str %s\n' "${a#s:}" ;;
		*) die "hash_inputs: bad argument $a" ;;
		esac
	done | sha256sum | cut -c1-16
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
image_label() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null; }
# image_current TAG HASH: the tag exists and was built from these inputs.
image_current() { [ "$FORCE" = 0 ] && [ "$(image_label "$1" swarmlab.inputs)" = "$2" ]; }

# docker_build LOGNAME TAG HASH CONTEXT [docker build args...]
docker_build() {
	local name=$1 tag=$2 hash=$3 ctx=$4 log old new
	shift 4
	log=$LOG_DIR/$name.log
	old=$(image_id "$tag" || true)
	echo "    docker build -t $tag ($ctx, log: $log)"
	if ! docker build --label "swarmlab.inputs=$hash" -t "$tag" "$@" "$ctx" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "building $tag failed (full log: $log)"
	fi
	# Drop the image this tag pointed to before, unless something still uses it.
	new=$(image_id "$tag" || true)
	if [ -n "$old" ] && [ "$old" != "$new" ] && [ -z "$(docker image inspect -f '{{join .RepoTags ","}}' "$old" 2>/dev/null)" ]; then
		docker rmi "$old" >/dev/null 2>&1 || true
	fi
}

need_go() {
	command -v go >/dev/null 2>&1 ||
		die "Go is needed to build whoami and traefik: install Go >= 1.22 (https://go.dev/dl/) and put it on PATH."
	GO_VERSION=$(go env GOVERSION)/$(go env GOOS)/$(go env GOARCH)
}

# go_build NAME VERSION MODDIR PKG LDFLAGS HASH -> sets GO_BIN (cached binary path)
go_build() {
	local name=$1 version=$2 moddir=$3 pkg=$4 ldflags=$5 hash=$6 tmp log
	GO_BIN=$BIN_DIR/$name-$version-$hash
	if [ -x "$GO_BIN" ] && [ "$FORCE" = 0 ]; then
		echo "    binary cached: $GO_BIN"
		return 0
	fi
	log=$LOG_DIR/go-$name.log
	tmp=$GO_BIN.tmp.$$
	echo "    go build $pkg ($version, log: $log)"
	if ! (cd "$moddir" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" \
		go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") >"$log" 2>&1; then
		rm -f "$tmp"
		tail -n 40 "$log" >&2
		die "go build of $name failed (full log: $log)"
	fi
	mv -f "$tmp" "$GO_BIN"
	# Keep one binary per name: drop the ones built from other inputs.
	find "$BIN_DIR" -maxdepth 1 -name "$name-*" ! -name "$(basename "$GO_BIN")" ! -name '*.tmp.*' -delete
}

# make_context NAME FILE...: a fresh build context holding copies of FILEs.
make_context() {
	local ctx=$CACHE/context/$1
	shift
	rm -rf "$ctx"
	mkdir -p "$ctx"
	cp "$@" "$ctx/"
	CTX=$ctx
}

# --- steps ------------------------------------------------------------------------
STATUS=""

step_base() {
	if [ "$BASE_IMAGE" != "$DEFAULT_BASE_IMAGE" ]; then
		if image_id "$BASE_IMAGE" >/dev/null; then STATUS="present ($BASE_IMAGE)"; return 0; fi
		docker pull "$BASE_IMAGE" >/dev/null || die "SWARMLAB_BASE_IMAGE=$BASE_IMAGE is not present and cannot be pulled"
		STATUS="pulled ($BASE_IMAGE)"
		return 0
	fi
	if image_id "$BASE_IMAGE" >/dev/null; then STATUS=cached; return 0; fi

	if ! command -v debootstrap >/dev/null 2>&1; then
		if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
			echo "    installing debootstrap"
			DEBIAN_FRONTEND=noninteractive apt-get update -qq
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
		else
			die "debootstrap is needed to make the base image: install it (as root: apt-get install debootstrap) or set SWARMLAB_BASE_IMAGE=debian:bookworm-slim."
		fi
	fi
	[ "$(id -u)" -eq 0 ] || die "debootstrap needs root: run as root, or set SWARMLAB_BASE_IMAGE=debian:bookworm-slim."

	local dir log=$LOG_DIR/base.log
	dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
	# shellcheck disable=SC2064
	trap "umount -R '$dir/proc' '$dir/sys' '$dir/dev/pts' 2>/dev/null; rm -rf --one-file-system '$dir'" EXIT
	echo "    debootstrap --variant=minbase $SUITE ($MIRROR, log: $log)"
	if ! debootstrap --variant=minbase "$SUITE" "$dir" "$MIRROR" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "debootstrap failed (full log: $log)"
	fi
	cat >"$dir/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb $MIRROR $SUITE-updates main
		deb ${SWARMLAB_DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security} $SUITE-security main
	EOF
	# Like the official "slim" images: no docs, man pages or translations.
	cat >"$dir/etc/dpkg/dpkg.cfg.d/swarmlab-slim" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/lintian/*
		path-exclude /usr/share/locale/*
	EOF
	cat >"$dir/etc/apt/apt.conf.d/swarmlab-docker" <<-'EOF'
		APT::Install-Recommends "false";
		Acquire::Languages "none";
	EOF
	find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
	rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
		"$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
		"$dir"/var/log/* "$dir"/tmp/*
	echo "    docker import -> $BASE_IMAGE"
	tar -C "$dir" --numeric-owner -c . |
		docker import --change 'CMD ["bash"]' --change 'LABEL swarmlab.image=base' \
			--message "debootstrap --variant=minbase $SUITE $MIRROR" - "$BASE_IMAGE" >>"$log"
	umount -R "$dir/proc" "$dir/sys" "$dir/dev/pts" 2>/dev/null || true
	rm -rf --one-file-system "$dir"
	trap - EXIT
	STATUS=built
}

base_id() {
	image_id "$BASE_IMAGE" || die "base image $BASE_IMAGE is missing: run tools/offline/images.sh --only base"
}

# An image built FROM the base image out of a folder: rebuilt when a listed file or the base changes.
step_from_base() { # <name> <image> <folder> <files in the folder...>
	local name=$1 image=$2 dir=$3 hash bid f inputs=()
	shift 3
	bid=$(base_id)
	for f in "$@"; do inputs+=("f:$dir/$f"); done
	hash=$(hash_inputs "${inputs[@]}" "s:base=$bid")
	if image_current "$image" "$hash"; then STATUS=cached; return 0; fi
	docker_build "$name" "$image" "$hash" "$dir" --build-arg "BASE_IMAGE=$BASE_IMAGE"
	STATUS=built
}

step_node() { step_from_base node "$NODE_IMAGE" "$ROOT/images/node" Dockerfile entrypoint.sh; } # the product's lab node
step_registry() { step_from_base registry "$REGISTRY_IMAGE" "$OFFLINE_IMAGES/registry" Dockerfile config.yml; }
step_board() { # the product's board (the default visualizer image)
	[ -n "$BOARD_VERSION" ] || die "cannot read the board's version from $BOARD_DIR/package.json"
	step_from_base board "$BOARD_IMAGE" "$BOARD_DIR" Dockerfile .dockerignore package.json server.js snapshot.js \
		public/index.html public/board.js public/board.css
}

step_whoami() {
	need_go
	local dir=$OFFLINE_IMAGES/whoami bin_hash hash variant tag built=0
	bin_hash=$(hash_inputs "f:$dir/main.go" "f:$dir/go.mod" "s:go=$GO_VERSION" "s:flags=-s -w")
	go_build whoami local "$dir" . "-s -w" "$bin_hash"
	for variant in v1 v2; do
		tag=$WHOAMI_IMAGE
		[ "$variant" = v2 ] && tag=$WHOAMI_V2_IMAGE
		hash=$(hash_inputs "f:$dir/Dockerfile" "s:bin=$bin_hash" "s:variant=$variant")
		if image_current "$tag" "$hash"; then continue; fi
		make_context whoami "$dir/Dockerfile" "$GO_BIN"
		mv "$CTX/$(basename "$GO_BIN")" "$CTX/whoami"
		docker_build "whoami-$variant" "$tag" "$hash" "$CTX" --build-arg "WHOAMI_VARIANT=$variant"
		built=1
	done
	if [ "$built" = 1 ]; then STATUS=built; else STATUS=cached; fi
}

step_traefik() {
	need_go
	[ -n "$TRAEFIK_VERSION" ] || die "cannot read the Traefik version from $TRAEFIK_MOD_DIR/go.mod"
	local dir=$OFFLINE_IMAGES/traefik ldflags bin_hash hash bid
	bid=$(base_id)
	ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION"
	bin_hash=$(hash_inputs "f:$TRAEFIK_MOD_DIR/go.mod" "f:$TRAEFIK_MOD_DIR/go.sum" "f:$TRAEFIK_MOD_DIR/tools.go" \
		"s:go=$GO_VERSION" "s:flags=$ldflags")
	go_build traefik "$TRAEFIK_VERSION" "$TRAEFIK_MOD_DIR" github.com/traefik/traefik/v3/cmd/traefik "$ldflags" "$bin_hash"
	hash=$(hash_inputs "f:$dir/Dockerfile" "s:bin=$bin_hash" "s:base=$bid")
	if image_current "$TRAEFIK_IMAGE" "$hash"; then STATUS=cached; return 0; fi
	make_context traefik "$dir/Dockerfile" "$GO_BIN"
	mv "$CTX/$(basename "$GO_BIN")" "$CTX/traefik"
	docker_build traefik "$TRAEFIK_IMAGE" "$hash" "$CTX" \
		--build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "TRAEFIK_VERSION=$TRAEFIK_VERSION"
	STATUS=built
}

# --- run ----------------------------------------------------------------------------
TOTAL_START=$(now)
SUMMARY=()
for s in "${ALL_STEPS[@]}"; do
	[ -n "${WANT[$s]:-}" ] || continue
	echo "==> $s"
	start=$(now)
	STATUS=""
	"step_$s"
	took=$(elapsed "$start")
	echo "<== $s: $STATUS in $took"
	SUMMARY+=("$s $STATUS $took")
done

env_file=$CACHE/images.env
cat >"$env_file.tmp" <<EOF
# Written by tools/offline/images.sh; source it: . "$env_file"
SWARMLAB_BASE_IMAGE=$BASE_IMAGE
SWARMLAB_NODE_IMAGE=$NODE_IMAGE
SWARMLAB_REGISTRY_IMAGE=$REGISTRY_IMAGE
SWARMLAB_WHOAMI_IMAGE=$WHOAMI_IMAGE
SWARMLAB_WHOAMI_V2_IMAGE=$WHOAMI_V2_IMAGE
SWARMLAB_TRAEFIK_IMAGE=$TRAEFIK_IMAGE
SWARMLAB_TRAEFIK_VERSION=$TRAEFIK_VERSION
SWARMLAB_BOARD_IMAGE=$BOARD_IMAGE
EOF
mv -f "$env_file.tmp" "$env_file"

echo
printf '%-28s %-14s %9s  %s\n' IMAGE ID SIZE STEP
for entry in "base $BASE_IMAGE" "node $NODE_IMAGE" "registry $REGISTRY_IMAGE" "whoami $WHOAMI_IMAGE" \
	"whoami $WHOAMI_V2_IMAGE" "traefik $TRAEFIK_IMAGE" "board $BOARD_IMAGE"; do
	read -r s tag <<<"$entry"
	[ -n "${WANT[$s]:-}" ] || continue
	info=$(docker image inspect -f '{{.Id}} {{.Size}}' "$tag" 2>/dev/null) || {
		printf '%-28s %-14s %9s  %s\n' "$tag" missing - "$s"
		continue
	}
	read -r id size <<<"$info"
	id=${id#sha256:}
	printf '%-28s %-14s %9s  %s\n' "$tag" "${id:0:12}" "$(numfmt --to=si --round=nearest --suffix=B "$size")" "$s"
done
echo
echo "images.sh: done in $(elapsed "$TOTAL_START"); wrote $env_file"
