/**
 * Installing Docker on a machine that lacks it: one shell script, shared by the ssh host kind (run
 * over SSH), Vagrant (the provisioning step) and the clouds (cloud-init). Pure text, unit-tested
 * against a fake machine (fake docker, apt-get, sudo, os-release).
 */
import { shellQuote as q } from "../command/ssh";

export interface InstallOptions {
  /** Shown in errors: "host worker2 runs Fedora Linux 40 ..." (default: the machine's hostname). */
  host?: string;
  /** false: a missing Docker is an error instead of an install. */
  install: boolean;
  /** Where the OS is described (tests point it at a fake one). */
  osRelease?: string;
  /** Seconds to wait for dockerd once installed or started. */
  waitSeconds?: number;
}

/**
 * Makes sure a working Docker engine is there, and prints `docker=present|installed|started` then
 * `machine=<machine-id>` and `hostname=<hostname>`. Idempotent: a host whose `docker info` answers is
 * left alone. Installs Debian's `docker.io` on Debian, Ubuntu and their derivatives (apt-get); any
 * other OS is an error naming the host and its OS. Runs as root, or as a user with passwordless sudo
 * (who is then added to the docker group, effective from the next SSH session).
 */
export function installDockerScript(o: InstallOptions): string {
  const osRelease = o.osRelease ?? "/etc/os-release";
  const wait = o.waitSeconds ?? 60;
  return [
    o.host ? `host=${q(o.host)}` : "host=$(hostname)",
    'fail() { echo "$*" >&2; exit 1; }',
    'if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi',
    'status=present',
    'if ! docker info >/dev/null 2>&1; then',
    '  if [ "$SUDO" != none ] && $SUDO docker info >/dev/null 2>&1; then',
    // Docker works, only not for this user: the docker group fixes it from the next session on.
    '    $SUDO usermod -aG docker "$(id -un)"; status=group',
    '  else',
    '    if ! command -v dockerd >/dev/null 2>&1; then',
    ...(o.install
      ? [
          `      [ -r ${q(osRelease)} ] || fail "host $host: cannot tell its OS (no ${osRelease}): swarmlab installs Docker only on Debian and Ubuntu; install Docker there yourself"`,
          `      . ${q(osRelease)}`,
          '      case " ${ID:-} ${ID_LIKE:-} " in',
          '        *" debian "*|*" ubuntu "*) ;;',
          '        *) fail "host $host runs ${PRETTY_NAME:-${ID:-an unknown OS}}: swarmlab installs Docker only on Debian and Ubuntu (and their derivatives); install Docker there yourself, then run pulumi up again";;',
          '      esac',
          '      [ "$SUDO" != none ] || fail "host $host: Docker is missing and user $(id -un) can neither run as root nor sudo without a password: connect as root or install Docker there"',
          '      export DEBIAN_FRONTEND=noninteractive',
          // The lock timeout waits out unattended-upgrades on a freshly booted machine instead of failing.
          '      $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null || fail "host $host: apt-get update failed"',
          '      $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends docker.io >/dev/null || fail "host $host: apt-get install docker.io failed"',
          '      status=installed',
        ]
      : ['      fail "host $host has no Docker engine and hosts.installDocker is false: install Docker there, or set hosts.installDocker: true"']),
    '    elif [ "$SUDO" = none ]; then',
    '      fail "host $host: dockerd is installed but does not answer, and user $(id -un) cannot sudo to start it"',
    '    else',
    '      status=started',
    '    fi',
    // Start it: systemd where it runs, the init script elsewhere, dockerd itself as a last resort.
    '    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then $SUDO systemctl enable --now docker >/dev/null 2>&1 || true',
    '    elif command -v service >/dev/null 2>&1 && [ -x /etc/init.d/docker ]; then $SUDO service docker start >/dev/null 2>&1 || true; fi',
    `    for i in $(seq 1 ${wait}); do $SUDO docker info >/dev/null 2>&1 && break; sleep 1; done`,
    '    if ! $SUDO docker info >/dev/null 2>&1; then',
    '      $SUDO sh -c "nohup dockerd >/var/log/dockerd.log 2>&1 &"',
    `      for i in $(seq 1 ${wait}); do $SUDO docker info >/dev/null 2>&1 && break; sleep 1; done`,
    '    fi',
    `    $SUDO docker info >/dev/null 2>&1 || fail "host $host: dockerd does not answer after ${wait} s ($status)"`,
    '    if [ -n "$SUDO" ]; then $SUDO usermod -aG docker "$(id -un)"; fi',
    '  fi',
    'fi',
    'echo "docker=$status"',
    'echo "machine=$(cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null || hostname)"',
    'echo "hostname=$(hostname)"',
  ].join("\n");
}
