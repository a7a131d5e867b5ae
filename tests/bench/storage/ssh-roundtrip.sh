#!/usr/bin/env bash
# One command round trip on a pooled SSH.NET connection (Fabric's IRemoteHost.RunAsync, `true`) against a fresh
# OpenSSH `ssh host true` (new process, TCP connection, key exchange, authentication), interleaved in one run,
# against the same OpenSSH sshd on 127.0.0.1 with the same client key and a pinned host key for both. For
# context, a third column: OpenSSH's own connection sharing (`ssh -o ControlPath=...` to a ControlMaster), i.e.
# what the best pooled OpenSSH client does per command against the same server.
# Usage: [NICE=-19] tests/bench/storage/ssh-roundtrip.sh [ROUNDS, default 5] [COMMANDS per round, default 50]
# The sessions get an empty HOME (sshd SetEnv): root's ~/.bashrc on this machine runs `pyenv init`, which bash
# sources for every SSH command and which alone costs ~350 ms per command here; that is not what is measured.
# NICE runs the server and both clients at that nice level, to see the figures with less CPU contention when the
# machine is shared (both sides get the same priority).
# Needs root (sshd), openssh-server and openssh-client. Prints each round and the medians of the rounds.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-5}
count=${2:-50}

work=$(mktemp -d /tmp/fabric-bench-ssh.XXXXXX)
sshd_pid=
cleanup() {
  [ -S "$work/mux" ] && ssh -O exit -o ControlPath="$work/mux" bench@127.0.0.1 2>/dev/null
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build tests/bench/storage/Fabric.Bench.Ssh -c Release -nologo -v q >/dev/null
nice_cmd=(nice -n "${NICE:-0}")
bench="${nice_cmd[*]} dotnet tests/bench/storage/Fabric.Bench.Ssh/bin/Release/net10.0/Fabric.Bench.Ssh.dll"

# The server: its own host key and configuration, a free high port, Fabric's key authorized.
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -C bench-sshd -f "$work/host_ed25519"
$bench key "$work/fabric" > "$work/authorized_keys"
port=$($bench port)
cat > "$work/sshd_config" <<CONFIG
ListenAddress 127.0.0.1:$port
HostKey $work/host_ed25519
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
MaxStartups 100
LogLevel VERBOSE
SetEnv HOME=$work/home
CONFIG
mkdir -p "$work/home"
"${nice_cmd[@]}" /usr/sbin/sshd -D -f "$work/sshd_config" -e 2>"$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do grep -q "Server listening" "$work/sshd.log" && break; sleep 0.1; done
grep -q "Server listening" "$work/sshd.log" || { cat "$work/sshd.log"; exit 1; }

# OpenSSH pins the same host key (no trust on first use for either side) and uses Fabric's private key.
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_ed25519.pub")" > "$work/known_hosts"
ssh_opts=(-i "$work/fabric/id_ecdsa" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=yes
  -o UserKnownHostsFile="$work/known_hosts" -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR)
ssh "${ssh_opts[@]}" "$(whoami)@127.0.0.1" true

# Mean milliseconds per `ssh ... true`, with the extra ssh options given.
ssh_round() {
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$count"); do "${nice_cmd[@]}" ssh "${ssh_opts[@]}" "$@" "$(whoami)@127.0.0.1" true; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$count" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
}

"${nice_cmd[@]}" ssh "${ssh_opts[@]}" -o ControlMaster=yes -o ControlPath="$work/mux" -o ControlPersist=600 -fN "$(whoami)@127.0.0.1"

echo "rounds=$rounds commands/round=$count nice=${NICE:-0} nproc=$(nproc) load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-16s %-20s %-28s %-8s\n' round "fresh ssh (ms)" "ssh ControlMaster" "Fabric pooled median/mean" "fresh/Fabric"
fresh_all=()
mux_all=()
pooled_all=()
for round in $(seq "$rounds"); do
  fresh=$(ssh_round)
  mux=$(ssh_round -o ControlPath="$work/mux")
  line=$($bench roundtrip "$work/fabric" 127.0.0.1 "$port" "$(whoami)" "$work/host_ed25519.pub" "$count")
  median=$(sed -E 's/.*median_ms=([0-9.]+).*/\1/' <<<"$line")
  mean=$(sed -E 's/.*mean_ms=([0-9.]+).*/\1/' <<<"$line")
  fresh_all+=("$fresh")
  mux_all+=("$mux")
  pooled_all+=("$mean")
  printf '%-6s %-16s %-20s %-28s %-8s\n' "$round" "$fresh" "$mux" "$median / $mean" "$(awk -v f="$fresh" -v p="$mean" 'BEGIN { printf "%.1fx", f / p }')"
done

med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fresh_median=$(med "${fresh_all[@]}")
pooled_median=$(med "${pooled_all[@]}")
mux_median=$(med "${mux_all[@]}")
ssh -O exit -o ControlPath="$work/mux" "$(whoami)@127.0.0.1" 2>/dev/null || true
echo "median of rounds (mean ms per command): fresh ssh ${fresh_median}, ssh ControlMaster ${mux_median}, Fabric pooled ${pooled_median}: Fabric $(awk -v f="$fresh_median" -v p="$pooled_median" 'BEGIN { printf "%.1fx", f / p }') faster than fresh ssh, $(awk -v f="$mux_median" -v p="$pooled_median" 'BEGIN { printf "%.2fx", f / p }') ControlMaster; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "connections accepted by sshd: $(grep -c '^Connection from' "$work/sshd.log" || true) (fresh: one per command; ControlMaster: one; Fabric: one per round)"
