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

# The CLI the npm launcher (node_modules/pulumi) runs, called directly: the launcher and npx cost
# about 0.4 s of Node start-up each, on every npm run up. Where the launcher keeps it (the
# Automation API's place too): $PULUMI_HOME/versions/<version>/bin.
pulumi_bin() {
  local version
  version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' node_modules/pulumi/package.json | head -n1)
  echo "${PULUMI_HOME:-$HOME/.pulumi}/versions/$version/bin/pulumi"
}

# Where the internet is reachable the launcher downloads the CLI on first use; offline we build it
# from the Go module proxy (tools/offline/toolchain.sh).
ensure_pulumi() {
  export PULUMI_SKIP_UPDATE_CHECK=true
  # The engine asks providers for their diffs one at a time unless told otherwise; ours read the
  # nodes (docker exec, SSH), so a preview waits for each in turn. In parallel, a 3-node no-op
  # preview takes ~0.15 s less. tools/lab.ts sets the same for the e2e tests.
  export PULUMI_PARALLEL_DIFF="${PULUMI_PARALLEL_DIFF:-true}"
  PULUMI_BIN=$(pulumi_bin)
  if [ ! -x "$PULUMI_BIN" ]; then
    npx --no-install pulumi version >/dev/null 2>&1 || true
  fi
  if [ ! -x "$PULUMI_BIN" ] && command -v go >/dev/null 2>&1; then
    say "the Pulumi CLI could not be downloaded: building it from source (tools/offline/toolchain.sh, ~10 min once)"
    bash tools/offline/toolchain.sh
  fi
  [ -x "$PULUMI_BIN" ] || die "the Pulumi CLI is missing and could not be downloaded: install it (https://www.pulumi.com/docs/install/) or install Go >= 1.25 and run bash tools/offline/toolchain.sh"
  # the language host and plugins installed beside it
  PATH="$(dirname "$PULUMI_BIN"):$PATH"
  export PATH
  # Node's on-disk compile cache (Node >= 22.1; older ones ignore it) for the Node processes the
  # CLI starts on every run (the program, the dynamic providers' host): loading @pulumi/pulumi
  # takes ~0.35 s from it against ~0.55 s compiled afresh (Node 24, 2 cores).
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab/node-compile}"
  # Modules the SDK loads at start-up and these processes never use are loaded on first use
  # instead (cli/lazySdkModules.cjs): the providers' host starts in 0.15 s instead of 0.5 s. Not
  # where NODE_OPTIONS could not quote the path (a `"` or `\` in it): every Node process would fail.
  case "$ROOT" in
    *'"'* | *'\'*) ;;
    *) export NODE_OPTIONS="--require \"$ROOT/cli/lazySdkModules.cjs\"${NODE_OPTIONS:+ $NODE_OPTIONS}" ;;
  esac
}

pulumi_cmd() { "$PULUMI_BIN" "$@"; }

# The stack's state file when the backend is a folder on this machine (file://, the default), where
# Pulumi keeps it (<folder>/.pulumi/stacks/<project>/<stack>.json); fails for any other backend.
state_file() {
  local url="${PULUMI_BACKEND_URL:-}" dir
  [ -n "$url" ] || url=$(sed -n 's/^  url: *//p' Pulumi.yaml | head -n1)
  case "$url" in file://*) dir="${url#file://}" ;; *) return 1 ;; esac
  case "$dir" in "~"*) dir="$HOME${dir#"~"}" ;; esac
  case "$STACK" in */*) return 1 ;; esac
  echo "$dir/.pulumi/stacks/swarmlab/$STACK.json"
}

# The dev stack is a lab: its passphrase is documented (README) so that it needs no prompt.
# Sets RESOURCES to 0 when the stack holds nothing yet (made now if missing), else to a positive
# count. A local state file is read directly (a millisecond, where `pulumi stack ls` takes 0.2 s);
# otherwise one `stack ls` instead of a `stack select` per run. Every command names the stack with --stack.
select_stack() {
  if { [ "$STACK" = dev ] || [ "$STACK" = offline ]; } && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=swarmlab-lab
  fi
  mkdir -p .pulumi-state
  local file
  if file=$(state_file) && [ -f "$file" ]; then
    RESOURCES=$({ grep -o '"urn":"' "$file" || true; } | wc -l)
    RESOURCES=$((RESOURCES))
    return 0
  fi
  RESOURCES=$(pulumi_cmd stack ls --json 2>/dev/null | STACK="$STACK" node -e '
    let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => {
      let stacks = []; try { stacks = JSON.parse(t); } catch {}
      const s = stacks.find((x) => x.name === process.env.STACK || x.name.endsWith("/" + process.env.STACK));
      console.log(s ? (s.resourceCount ?? 0) : "none");
    });')
  if [ "$RESOURCES" = none ]; then
    pulumi_cmd stack select --create "$STACK" >/dev/null
    RESOURCES=0
  fi
}
