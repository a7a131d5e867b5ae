#!/usr/bin/env bash
# Side-by-side TFTP benchmark: Fabric's server against tftpd-hpa, atftpd and dnsmasq, all serving the same files
# from a server namespace, each on its own address (10.214.N.11, .12, ...) port 69; clients (atftp) run in a
# client namespace joined by a veth pair (no loss, no added delay). Both namespaces are made here and removed on
# exit. Run as root:
#   tests/bench/tftp/run.sh                 # everything
#   SERVERS="fabric atftpd" CONCURRENCY="200" CONC_MIB=8 tests/bench/tftp/run.sh
#   CONCURRENCY="" RUNS=9 tests/bench/tftp/run.sh   # single transfers only
#   DELAY_MS=2 SINGLE_MIB=4 CONCURRENCY="" RUNS=3 tests/bench/tftp/run.sh   # a link with 2 ms each way
#   PIN=0 CONCURRENCY="" tests/bench/tftp/run.sh   # servers and clients on CPU 0 only
# PIN=N runs every server and client on CPU N: a lock-step transfer then costs CPU time, not the wake-up of an
# idle (virtual) CPU for every packet, so the figure shows what each server spends per block.
# DELAY_MS puts a middle namespace between the two that forwards every frame after that delay (the kernel's netem
# where it exists, else tests/Fabric.Integration/Tftp/delaybridge.py, a userspace forwarder).
# Single transfers run in rounds, each round every server in turn, so that anything else happening on the machine
# (other jobs, a virtual CPU slow to wake) falls on every server alike; the table gives the median and the best
# round. Concurrent runs go one server at a time. Prints Markdown; copy it into RESULTS.md with the command used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
SERVERS=${SERVERS:-"fabric tftpd-hpa atftpd dnsmasq"}
CONCURRENCY=${CONCURRENCY-"200 500"}
CONC_MIB=${CONC_MIB:-32}
SINGLE_MIB=${SINGLE_MIB:-64}
RUNS=${RUNS:-5}
DELAY_MS=${DELAY_MS:-0}
PIN=${PIN:-}
pin=(); [ -n "$PIN" ] && pin=(taskset -c "$PIN")
ATFTPD=${ATFTPD:-/opt/atftpd/root/usr/sbin/atftpd}

# shellcheck source=tests/bench/need.sh
. "$here/../need.sh"
need_dotnet
need ip:iproute2 atftp:atftp
for s in $SERVERS; do
  case "$s" in
    tftpd-hpa) need in.tftpd:tftpd-hpa ;;
    dnsmasq) need dnsmasq:dnsmasq ;;
  esac
done
[ "$DELAY_MS" = 0 ] || need python3:python3
[ -z "$PIN" ] || need taskset:util-linux
# atftpd conflicts with tftpd-hpa (the tests' server) as a Debian package, so the benchmark unpacks it into
# /opt/atftpd/root instead of installing it (no service, nothing else removed); its libraries are installed.
if [[ " $SERVERS " == *" atftpd "* ]] && [ ! -x "$ATFTPD" ]; then
  if [ "$ATFTPD" = /opt/atftpd/root/usr/sbin/atftpd ] && [ "$(id -u)" = 0 ]; then
    echo "run.sh: unpacking atftpd into /opt/atftpd/root" >&2
    deb=$(mktemp -d)
    (cd "$deb" && { apt-get download atftpd >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1; apt-get download atftpd >/dev/null 2>&1; }; }) || true
    if ls "$deb"/atftpd_*.deb >/dev/null 2>&1; then
      mkdir -p /opt/atftpd/root
      dpkg -x "$deb"/atftpd_*.deb /opt/atftpd/root
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libwrap0 libpcre2-8-0 >/dev/null 2>&1 || true
    fi
    rm -rf "$deb"
  fi
  [ -x "$ATFTPD" ] || { echo "run.sh: missing atftpd at $ATFTPD (Debian package atftpd, unpacked with dpkg -x; or set ATFTPD, or leave it out of SERVERS)" >&2; exit 1; }
fi

suffix=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
net=$(( (RANDOM % 200) + 20 ))
S="tftpb-s-$suffix"; C="tftpb-c-$suffix"; M="tftpb-m-$suffix"
work=$(mktemp -d /tmp/fabric-tftp-bench.XXXXXX)
declare -A pid addr

cleanup() {
  for s in "${!pid[@]}"; do kill "${pid[$s]}" 2>/dev/null || true; done
  sleep 0.2
  ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$C" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
  ip netns pids "$M" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$M" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$S"; ip netns add "$C"
if [ "$DELAY_MS" = 0 ]; then
  ip link add "tbs$suffix" netns "$S" type veth peer name "tbc$suffix" netns "$C"
else
  ip netns add "$M"
  ip link add "tbs$suffix" netns "$S" type veth peer name "tms$suffix" netns "$M"
  ip link add "tbc$suffix" netns "$C" type veth peer name "tmc$suffix" netns "$M"
  for dev in "tms$suffix" "tmc$suffix"; do ip -n "$M" link set "$dev" up; done
  if ip netns exec "$M" tc qdisc add dev "tms$suffix" root netem delay "${DELAY_MS}ms" 2>/dev/null \
    && ip netns exec "$M" tc qdisc add dev "tmc$suffix" root netem delay "${DELAY_MS}ms"; then
    ip -n "$M" link add "tbr$suffix" type bridge
    for dev in "tms$suffix" "tmc$suffix"; do ip -n "$M" link set "$dev" master "tbr$suffix"; done
    ip -n "$M" link set "tbr$suffix" up
    echo "Link: ${DELAY_MS} ms each way (netem)"
  else
    ip netns exec "$M" python3 "$repo/tests/Fabric.Integration/Tftp/delaybridge.py" "tms$suffix" "tmc$suffix" \
      --delay-ms "$DELAY_MS" > "$work/bridge.out" 2>&1 &
    for _ in $(seq 100); do grep -q READY "$work/bridge.out" 2>/dev/null && break; sleep 0.1; done
    grep -q READY "$work/bridge.out" || { echo "delay bridge did not start: $(cat "$work/bridge.out")" >&2; exit 1; }
    echo "Link: ${DELAY_MS} ms each way (userspace delay bridge; this kernel has no netem)"
  fi
  echo
fi
ip -n "$C" addr add "10.214.$net.2/24" dev "tbc$suffix"
i=11
for s in $SERVERS; do
  addr[$s]="10.214.$net.$i"; i=$((i + 1))
  ip -n "$S" addr add "${addr[$s]}/24" dev "tbs$suffix"
done
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set "tbs$suffix" up; ip -n "$C" link set "tbc$suffix" up

mkdir -p "$work/root"
head -c $((SINGLE_MIB << 20)) /dev/urandom > "$work/root/single.bin"
head -c $((CONC_MIB << 20)) /dev/urandom > "$work/root/conc.bin"
chmod -R a+rX "$work"

dotnet build "$repo/tests/Fabric.Tftp.TestHost" -c Release -nologo -v q >/dev/null
host_dll="$repo/tests/Fabric.Tftp.TestHost/bin/Release/net10.0/Fabric.Tftp.TestHost.dll"

start_server() {
  local a=${addr[$1]}
  case "$1" in
    fabric)
      # Every client runs from one address here, so the per-client limit is lifted to the total, as the peers have none.
      ip netns exec "$S" "${pin[@]}" dotnet "$host_dll" --root "$work/root" --endpoint "$a:69" --max-transfers 1000 \
        --max-transfers-per-client 1000 --no-stdin > "$work/fabric.out" 2>&1 &
      pid[$1]=$!
      for _ in $(seq 100); do grep -q LISTENING "$work/fabric.out" 2>/dev/null && break; sleep 0.1; done ;;
    tftpd-hpa)
      ip netns exec "$S" "${pin[@]}" in.tftpd -L -s "$work/root" -a "$a:69" & pid[$1]=$! ;;
    atftpd)
      ip netns exec "$S" "${pin[@]}" "$ATFTPD" --daemon --no-fork --user root.root --maxthread 1000 --port 69 --bind-address "$a" --logfile /dev/null "$work/root" & pid[$1]=$! ;;
    dnsmasq)
      ip netns exec "$S" "${pin[@]}" dnsmasq --no-daemon --port=0 --enable-tftp --tftp-root="$work/root" --listen-address="$a" \
        --bind-interfaces --tftp-max=1000 --user=root --no-resolv --no-hosts --pid-file= --log-facility=/dev/null 2>/dev/null & pid[$1]=$! ;;
  esac
}

# CPU seconds (user+system, reaped children included) of a server process.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/${pid[$1]}/stat"; }

now() { date +%s.%N; }

# One 64 MiB transfer from server $1 with windowsize $2: appends "MB/s cpu-seconds" to $work/single.$1.$2.
single() {
  local opts=(--option "blksize 1468") t0 t1 c0 c1
  [ "$2" -gt 1 ] && opts+=(--option "windowsize $2")
  c0=$(cpu "$1"); t0=$(now)
  if ! ip netns exec "$C" "${pin[@]}" atftp --get -r single.bin -l "$work/out.bin" "${opts[@]}" "${addr[$1]}" 69 >/dev/null 2>&1 \
    || ! cmp -s "$work/out.bin" "$work/root/single.bin"; then
    echo "fail 0" >> "$work/single.$1.$2"; return
  fi
  t1=$(now); c1=$(cpu "$1")
  awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v s="$SINGLE_MIB" 'BEGIN { printf "%.2f %.3f\n", s * 1.048576 / (b - a), d - c }' >> "$work/single.$1.$2"
}

# "median best failures cpu-s-per-100MB" of the runs of server $1 at windowsize $2.
summary() {
  awk -v m="$SINGLE_MIB" '$1 == "fail" { f++; next } { v[++n] = $1; c += $2 }
    END {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      med = n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : 0
      printf "%.2f %.2f %d %.2f\n", med, n ? v[n] : 0, f, n ? c / (n * m * 1.048576) * 100 : 0
    }' "$work/single.$1.$2"
}

concurrent() { # $1 server, $2 clients -> "failures aggregate-MB/s p50 p99"
  local n=$2 res="$work/conc.$1.$2"
  : > "$res"
  cat > "$work/driver.sh" <<DRV
for i in \$(seq $n); do
  ( s=\$(date +%s%N); atftp --get -r conc.bin -l /dev/null --option "blksize 1468" ${addr[$1]} 69 >/dev/null 2>&1; rc=\$?
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

for s in $SERVERS; do start_server "$s"; done
sleep 1

# Single transfers: a warm-up round that is not counted (Fabric's code is compiled on first use), then RUNS rounds;
# each round, each server once at windowsize 1 and once at 16.
for s in $SERVERS; do single "$s" 1; single "$s" 16; rm -f "$work/single.$s.1" "$work/single.$s.16"; done
for _ in $(seq "$RUNS"); do
  for s in $SERVERS; do single "$s" 1; single "$s" 16; done
done

echo "Single $SINGLE_MIB MiB transfer, blksize 1468, $RUNS rounds (median / best MB/s; CPU s per 100 MB over all runs):"
echo
echo "| server | ws1 median | ws1 best | ws16 median | ws16 best | failed runs | CPU s/100MB ws1 | CPU s/100MB ws16 |"
echo "|---|---|---|---|---|---|---|---|"
for s in $SERVERS; do
  read -r m1 b1 f1 c1 < <(summary "$s" 1)
  read -r m16 b16 f16 c16 < <(summary "$s" 16)
  echo "| $s | $m1 | $b1 | $m16 | $b16 | $((f1 + f16)) | $c1 | $c16 |"
  echo "$s $m1 $m16" >> "$work/medians"
done
echo
awk '$1 == "fabric" { f1 = $2; f16 = $3; next }
     { if ($2 > p1) { p1 = $2; n1 = $1 } if ($3 > p16) { p16 = $3; n16 = $1 } }
     END {
       if (f1 && p1) printf "- ws1 median: fabric / best peer (%s) = %.2fx\n", n1, f1 / p1
       if (f16 && p16) printf "- ws16 median: fabric / best peer at ws16 (%s) = %.2fx\n", n16, f16 / p16
       if (f1 && f16) printf "- fabric ws16 / own ws1 (medians) = %.2fx\n", f16 / f1
     }' "$work/medians"

if [ -n "$CONCURRENCY" ]; then
  echo
  echo "Concurrent clients, $CONC_MIB MiB each, blksize 1468, one server at a time:"
  echo
  echo "| server | $(for n in $CONCURRENCY; do printf '%s clients: fail / MB/s / p50 s / p99 s / CPU s/100MB | ' "$n"; done)"
  echo "|---|$(for _ in $CONCURRENCY; do printf -- '---|'; done)"
  for s in $SERVERS; do
    row="| $s |"
    for n in $CONCURRENCY; do
      c0=$(cpu "$s")
      read -r fails agg p50 p99 < <(concurrent "$s" "$n")
      c1=$(cpu "$s")
      cpu_conc=$(awk -v a="$c0" -v b="$c1" -v m="$CONC_MIB" -v n="$n" -v f="$fails" 'BEGIN{ ok = n - f; printf "%.2f", ok ? (b - a) / (ok * m * 1.048576) * 100 : 0 }')
      row="$row $fails / $agg / $p50 / $p99 / $cpu_conc |"
    done
    echo "$row"
  done
fi
