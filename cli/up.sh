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
apply() { pulumi_cmd up --yes --skip-preview --continue-on-error --stack "$STACK" "$@"; }

# Nothing exists yet that a preview would protect: every step is a creation, shown as it runs.
if [ "$RESOURCES" = 0 ]; then
  apply "$@"
  exit
fi

# Otherwise what will change is shown before it happens, and a run with nothing to change ends
# with that preview: one pass of the engine instead of two (pulumi up = preview + update).
# Exit 7 is the CLI's "changes were proposed" (--expect-no-changes); its error line ("no changes
# were expected for preview but changes were proposed" in CLI 3.259) is not one here.
set +e
pulumi_cmd preview --diff --expect-no-changes --stack "$STACK" "$@" 2> >(grep -v 'no changes were expected.* but changes were proposed' >&2)
code=$?
set -e
case $code in
  0) exit 0 ;;
  7) say "applying the changes above"; apply "$@" ;;
  *) say "the preview failed: nothing was changed"; exit "$code" ;;
esac
