#!/usr/bin/env bash
# `npm run preview` / `npm run destroy`: the Pulumi CLI on the selected stack (dev by default;
# SWARMLAB_STACK=prod npm run preview for another), with set-up done first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_node_modules
ensure_pulumi
select_stack
pulumi_cmd "$@" --stack "$STACK"
