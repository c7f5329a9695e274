#!/usr/bin/env bash
# `npm run up`: everything a fresh machine needs, then `pulumi up` on the dev stack (or $SWARMLAB_STACK).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_node_modules
ensure_pulumi

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  die "no Docker engine answers: install Docker (Docker Desktop, or docker.io / docker-ce on Linux) and start it, then run npm run up again"
fi

# The lab node image: built once from images/node (debian:bookworm-slim from Docker Hub), or
# offline from Debian's archive by tools/offline/images.sh.
image="${SWARMLAB_NODE_IMAGE:-swarmlab/node:latest}"
if ! docker image inspect "$image" >/dev/null 2>&1; then
  say "building the lab node image $image (once)"
  docker build -q -t "$image" images/node >/dev/null || bash tools/offline/images.sh --only node
fi

select_stack
# --continue-on-error: a node that fails (SSH down, say) does not stop the work on the others;
# its dependents are skipped and the next run converges.
pulumi_cmd up --yes --continue-on-error --stack "$STACK" "$@"
