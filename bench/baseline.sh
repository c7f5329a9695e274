#!/usr/bin/env bash
# The baseline for `npm run bench`: the classic lab done by a plain script, the way a person would
# automate it without swarmlab (docker run the nodes, ssh swarm init on the first, the other
# managers joined one at a time as Docker advises, the workers in parallel, wait until all are
# Ready). Usage: bench-baseline.sh up|down NAME NODES SUBNET_PREFIX [MANAGERS]
#   bench-baseline.sh up bench-baseline 10 172.30.201 3   # 3 managers, 7 workers
set -euo pipefail
action=$1 name=$2 nodes=${3:-3} prefix=${4:-172.31.0} managers=${5:-1}
image=${SWARMLAB_NODE_IMAGE:-swarmlab/node:latest}
key=/tmp/$name-key

if [ "$action" = down ]; then
  docker ps -aq --filter "label=bench=$name" | xargs -r docker rm -f >/dev/null
  docker volume ls -q --filter "label=bench=$name" | xargs -r docker volume rm >/dev/null
  docker network rm "$name" >/dev/null 2>&1 || true
  rm -f "$key" "$key.pub"
  exit 0
fi

if [ "$managers" -lt 1 ] || [ "$managers" -gt "$nodes" ]; then
  echo "bench-baseline.sh: MANAGERS must be between 1 and NODES ($nodes), got $managers" >&2
  exit 2
fi

ssh-keygen -q -t ed25519 -N '' -f "$key" <<<y >/dev/null
docker network create --subnet "$prefix.0/24" --label "bench=$name" "$name" >/dev/null
caps=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined --device-cgroup-rule 'a *:* rwm' -v /sys/fs/cgroup:/sys/fs/cgroup:rw)
docker run --rm --privileged --entrypoint true "$image" >/dev/null 2>&1 && caps=(--privileged)
for i in $(seq 1 "$nodes"); do
  docker volume create --label "bench=$name" "$name-$i" >/dev/null
  docker run -d --name "$name-$i" --hostname "node$i" --network "$name" --ip "$prefix.$((9 + i))" --label "bench=$name" \
    "${caps[@]}" --tmpfs /run --tmpfs /tmp -v "$name-$i:/var/lib/docker" -e SWARMLAB_AUTHORIZED_KEYS="$(cat "$key.pub")" "$image" >/dev/null
done
on() { ssh -i "$key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=2 "root@$prefix.$((9 + $1))" "${@:2}"; }
for i in $(seq 1 "$nodes"); do
  until on "$i" docker info >/dev/null 2>&1; do sleep 0.5; done
done
on 1 docker swarm init --advertise-addr "$prefix.10" >/dev/null
manager_token=$(on 1 docker swarm join-token -q manager)
worker_token=$(on 1 docker swarm join-token -q worker)
join() { on "$1" docker swarm join --token "$2" --advertise-addr "$prefix.$((9 + $1))" "$prefix.10:2377" >/dev/null; }
for i in $(seq 2 "$managers"); do join "$i" "$manager_token"; done
pids=()
for i in $(seq $((managers + 1)) "$nodes"); do join "$i" "$worker_token" & pids+=($!); done
for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid"; done # each join's failure stops the script
until [ "$(on 1 docker node ls --format '{{.Status}}' | grep -c Ready)" -eq "$nodes" ]; do sleep 0.5; done
