# Shared by the user-facing scripts (up, preview, destroy): sourced, not run.
# Finds the project, makes sure dependencies and the Pulumi CLI are there, and selects the stack.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STACK="${SWARMLAB_STACK:-${PULUMI_STACK:-dev}}"

say() { echo "swarmlab: $*" >&2; }
die() { echo "swarmlab: $*" >&2; exit 1; }

ensure_node_modules() {
  [ -d node_modules/@pulumi/pulumi ] && return 0
  say "installing npm dependencies"
  npm install --no-audit --no-fund >/dev/null
}

# The npm launcher downloads the CLI on first use where the internet is reachable; offline we
# build it from the Go module proxy (tools/offline/toolchain.sh).
ensure_pulumi() {
  export PULUMI_SKIP_UPDATE_CHECK=true
  npx --no-install pulumi version >/dev/null 2>&1 && return 0
  if command -v go >/dev/null 2>&1; then
    say "the Pulumi CLI could not be downloaded: building it from source (tools/offline/toolchain.sh, ~10 min once)"
    bash tools/offline/toolchain.sh
    npx --no-install pulumi version >/dev/null 2>&1 && return 0
  fi
  die "the Pulumi CLI is missing and could not be downloaded: install it (https://www.pulumi.com/docs/install/) or install Go >= 1.25 and run bash tools/offline/toolchain.sh"
}

# The dev stack is a lab: its passphrase is documented (README) so that it needs no prompt.
select_stack() {
  if { [ "$STACK" = dev ] || [ "$STACK" = offline ]; } && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=swarmlab-lab
  fi
  mkdir -p .pulumi-state
  npx --no-install pulumi stack select --create "$STACK" >/dev/null
}

pulumi_cmd() { npx --no-install pulumi "$@"; }
