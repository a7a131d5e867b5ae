#!/usr/bin/env bash
# Side-by-side TFTP benchmark: Fabric's server against tftpd-hpa, atftpd and dnsmasq, one at a time, each
# serving the same files on 10.214.N.1:69 in a server namespace; clients (atftp) run in a client namespace
# joined by a veth pair. Both namespaces are made here and removed on exit. Run as root:
#   tests/bench/tftp/run.sh                 # everything
#   SERVERS="fabric atftpd" CONCURRENCY="200" CONC_MIB=8 tests/bench/tftp/run.sh
#   CONCURRENCY="" RUNS=3 tests/bench/tftp/run.sh   # single transfers only
# Prints a Markdown table; copy it into RESULTS.md with the command used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
SERVERS=${SERVERS:-"fabric tftpd-hpa atftpd dnsmasq"}
CONCURRENCY=${CONCURRENCY-"200 500"}
CONC_MIB=${CONC_MIB:-32}
SINGLE_MIB=${SINGLE_MIB:-64}
RUNS=${RUNS:-2}
ATFTPD=${ATFTPD:-/opt/atftpd/root/usr/sbin/atftpd}

suffix=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
net=$(( (RANDOM % 200) + 20 ))
S="tftpb-s-$suffix"; C="tftpb-c-$suffix"; addr="10.214.$net.1"
work=$(mktemp -d /tmp/fabric-tftp-bench.XXXXXX)
server_pid=""

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  sleep 0.2
  ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$C" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$S"; ip netns add "$C"
ip link add "tbs$suffix" netns "$S" type veth peer name "tbc$suffix" netns "$C"
ip -n "$S" addr add "$addr/24" dev "tbs$suffix"; ip -n "$C" addr add "10.214.$net.2/24" dev "tbc$suffix"
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set "tbs$suffix" up; ip -n "$C" link set "tbc$suffix" up

mkdir -p "$work/root"
head -c $((SINGLE_MIB << 20)) /dev/urandom > "$work/root/single.bin"
head -c $((CONC_MIB << 20)) /dev/urandom > "$work/root/conc.bin"
chmod -R a+rX "$work"

dotnet build "$repo/tests/Fabric.Tftp.TestHost" -c Release -nologo -v q >/dev/null
host_dll="$repo/tests/Fabric.Tftp.TestHost/bin/Release/net10.0/Fabric.Tftp.TestHost.dll"

start_server() {
  case "$1" in
    fabric)
      ip netns exec "$S" dotnet "$host_dll" --root "$work/root" --endpoint "$addr:69" --max-transfers 1000 --no-stdin > "$work/fabric.out" 2>&1 &
      server_pid=$!
      for _ in $(seq 100); do grep -q LISTENING "$work/fabric.out" 2>/dev/null && break; sleep 0.1; done ;;
    tftpd-hpa)
      ip netns exec "$S" in.tftpd -L -s "$work/root" -a "$addr:69" & server_pid=$! ;;
    atftpd)
      ip netns exec "$S" "$ATFTPD" --daemon --no-fork --user root.root --maxthread 1000 --port 69 --bind-address "$addr" --logfile /dev/null "$work/root" & server_pid=$! ;;
    dnsmasq)
      ip netns exec "$S" dnsmasq --no-daemon --port=0 --enable-tftp --tftp-root="$work/root" --listen-address="$addr" \
        --bind-interfaces --tftp-max=1000 --user=root --no-resolv --no-hosts --pid-file= --log-facility=/dev/null & server_pid=$! ;;
  esac
  sleep 0.5
}

stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; sleep 0.3; }

# CPU seconds (user+system, children included) of the server process.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$server_pid/stat"; }

now() { date +%s.%N; }

single() { # $1 windowsize -> best MB/s over RUNS
  local best=0
  for _ in $(seq "$RUNS"); do
    local t0 t1 opts=(--option "blksize 1468")
    [ "$1" -gt 1 ] && opts+=(--option "windowsize $1")
    t0=$(now)
    ip netns exec "$C" atftp --get -r single.bin -l "$work/out.bin" "${opts[@]}" "$addr" 69 >/dev/null 2>&1 || { echo fail; return; }
    t1=$(now)
    cmp -s "$work/out.bin" "$work/root/single.bin" || { echo corrupt; return; }
    best=$(awk -v b="$best" -v s="$SINGLE_MIB" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" 'BEGIN{ m = s*1.048576/t; print (m > b ? m : b) }')
  done
  printf '%.1f' "$best"
}

concurrent() { # $1 clients -> "failures aggregate-MB/s p50 p99"
  local n=$1 res="$work/conc.$n"
  : > "$res"
  cat > "$work/driver.sh" <<DRV
for i in \$(seq $n); do
  ( s=\$(date +%s%N); atftp --get -r conc.bin -l /dev/null --option "blksize 1468" $addr 69 >/dev/null 2>&1; rc=\$?
    e=\$(date +%s%N); echo "\$rc \$(( (e - s) / 1000000 ))" >> "$res" ) &
done
wait
DRV
  local t0 t1
  t0=$(now)
  ip netns exec "$C" bash "$work/driver.sh"
  t1=$(now)
  sort -n -k2 "$res" | awk -v n="$n" -v mib="$CONC_MIB" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" '
    { if ($1 != 0) f++; else ok++; d[NR] = $2 }
    END {
      p50 = d[int((NR - 1) * 0.5) + 1]; p99 = d[int((NR - 1) * 0.99) + 1]
      printf "%d %.1f %.2f %.2f\n", f + (n - NR), ok * mib * 1.048576 / t, p50 / 1000, p99 / 1000
    }' 
}

echo "| server | ws1 MB/s | ws16 MB/s | CPU s/100MB (single) | $(for n in $CONCURRENCY; do printf '%s clients: fail / MB/s / p50 s / p99 s / CPU s/100MB | ' "$n"; done)"
echo "|---|---|---|---|$(for _ in $CONCURRENCY; do printf -- '---|'; done)"
for server in $SERVERS; do
  start_server "$server"
  c0=$(cpu)
  ws1=$(single 1)
  ws16=$(single 16)
  c1=$(cpu)
  cpu_single=$(awk -v a="$c0" -v b="$c1" -v m="$SINGLE_MIB" -v r="$RUNS" 'BEGIN{ printf "%.2f", (b - a) / (2 * r * m * 1.048576) * 100 }')
  row="| $server | $ws1 | $ws16 | $cpu_single |"
  for n in $CONCURRENCY; do
    c0=$(cpu)
    read -r fails agg p50 p99 < <(concurrent "$n")
    c1=$(cpu)
    cpu_conc=$(awk -v a="$c0" -v b="$c1" -v m="$CONC_MIB" -v n="$n" -v f="$fails" 'BEGIN{ ok = n - f; printf "%.2f", ok ? (b - a) / (ok * m * 1.048576) * 100 : 0 }')
    row="$row $fails / $agg / $p50 / $p99 / $cpu_conc |"
  done
  echo "$row"
  stop_server
done
