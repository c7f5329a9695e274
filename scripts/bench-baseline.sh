#!/usr/bin/env bash
# The baseline for `npm run bench`: the classic lab done by a plain script, the way a person would
# automate it without swarmlab (docker run the nodes, ssh swarm init, ssh join the workers in
# parallel, wait until all are Ready). Usage: bench-baseline.sh up|down NAME NODES SUBNET_PREFIX
set -euo pipefail
action=$1 name=$2 nodes=${3:-3} prefix=${4:-172.31.0}
image=${SWARMLAB_NODE_IMAGE:-swarmlab/node:latest}
key=/tmp/$name-key

if [ "$action" = down ]; then
  docker ps -aq --filter "label=bench=$name" | xargs -r docker rm -f >/dev/null
  docker volume ls -q --filter "label=bench=$name" | xargs -r docker volume rm >/dev/null
  docker network rm "$name" >/dev/null 2>&1 || true
  rm -f "$key" "$key.pub"
  exit 0
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
token=$(on 1 docker swarm join-token -q worker)
for i in $(seq 2 "$nodes"); do on "$i" docker swarm join --token "$token" "$prefix.10:2377" >/dev/null & done
wait
until [ "$(on 1 docker node ls --format '{{.Status}}' | grep -c Ready)" -eq "$nodes" ]; do sleep 0.5; done
