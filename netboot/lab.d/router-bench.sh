# shellcheck shell=bash
# netboot/lab --scenario router-bench (run by tests/bench/router/run): the router of lab.d/router.sh, netbooted by
# Fabric, then 200 public addresses over 20 VLANs applied to it two ways in the same run, the router reset in between:
#   fabric: `fabric router apply router1 --wait` (timed: the command line's wall time, and the job's own), then the
#           second apply (an empty plan) and a plan, each timed;
#   script: the same commands (ip link add / alias / up, ip addr add, sysctl -w, nft -f of the same ruleset file Fabric
#           wrote) as one shell script over one ssh session; and once more with each command on its own SSH channel
#           over one connection (OpenSSH ControlMaster), as Fabric runs them.
# After each script run Fabric's plan must be empty (the script did what Fabric would). Then Fabric's apply once more
# (the machine's load drifts during a run: its two times bracket the scripts'). Prints `lab: bench KEY VALUE`.
# shellcheck disable=SC2154 # netboot/lab's and lab.d/router.sh's variables and functions
router_bench=1
# shellcheck source=netboot/lab.d/router.sh
. "$here/lab.d/router.sh"

vlans=${FABRIC_BENCH_VLANS:-20} per_vlan=${FABRIC_BENCH_PER_VLAN:-10}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }

# --- the registry: VLANs 101..(100+vlans), network pubN on 100.64.N.0/24 (gateway .1), per_vlan instances .10 on.
t=$(now)
for ((v = 1; v <= vlans; v++)); do
	api POST /api/v1/networks "{\"name\":\"pub$v\",\"kind\":\"public\",\"cidr\":\"100.64.$v.0/24\",\"gateway\":\"100.64.$v.1\",\"vlan\":$((100 + v))}" >/dev/null ||
		finish error "registering network pub$v"
	for ((i = 0; i < per_vlan; i++)); do
		api POST /api/v1/nodes "{\"name\":\"i$v-$i\",\"role\":\"instance\",\"macs\":[\"$(printf '52:54:01:00:%02x:%02x' "$v" "$i")\"],\"ip\":\"100.64.$v.$((10 + i))\",\"network\":\"pub$v\"}" >/dev/null ||
			finish error "registering instance i$v-$i"
	done
done
say "registry: $vlans public networks, $((vlans * per_vlan)) instances on them ($(since "$t") s through the API)"
echo "lab: bench networks $vlans"
echo "lab: bench addresses $((vlans * per_vlan))"

# The registrations queue automatic applies on the router (Fabric:Router:AutoApply): let them finish first, or one that
# runs late would apply the plan behind the timed apply's back (it then finds no change to make).
t=$(now)
for ((w = 0; ; w++)); do
	busy=$(api GET "/api/v1/jobs?node=$router" | json 'len([j for j in d if j["state"] in ("queued", "running")])') || busy=unknown
	[ "$busy" = 0 ] && break
	[ "$w" -lt 900 ] || finish failed "the router's automatic applies did not finish"
	sleep 1
done
say "automatic applies after the registrations done ($(since "$t") s)"

# reset: the router as it booted: no VLAN link on the trunk, no fabric table, forwarding off.
reset_router() {
	router_ssh 'for l in $(ls /sys/class/net | grep "^eth1\."); do ip link del dev "$l"; done
		nft delete table inet fabric 2>/dev/null; sysctl -qw net.ipv4.ip_forward=0; rm -f /run/fabric/router/fabric.nft /run/fabric/router/apply.sh' ||
		finish failed "resetting the router"
	local n
	n=$(router_ssh 'ls /sys/class/net | grep -c "^eth1\." || true')
	[ "$n" = 0 ] || finish failed "the reset left $n VLAN links"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# The phases of a router-apply job as its log gives them: "read 2.10 s, diff 0.02 s, upload 0.90 s, apply 3.80 s".
phases() { # OUTPUT of `fabric router apply --wait`
	local job
	job=$(printf '%s\n' "$1" | sed -n 's/^job \([0-9]*\) .*/\1/p' | head -1)
	cli_raw job show "$job" -o json | json '", ".join(x for x in (l["line"].split(": ", 1)[-1] for l in d["log"]) if x.split(" ")[0] in ("read", "diff", "upload", "apply", "waited") and "," not in x)'
}

# --- Fabric.
reset_router
echo "lab: bench load-before-fabric $(load)"
t=$(now)
out=$(cli_raw router apply "$router" --wait 2>&1) || { printf '%s\n' "$out" | tail -20; finish failed "fabric router apply"; }
fabric_s=$(since "$t")
job_s=$(printf '%s\n' "$out" | sed -n 's/^job [0-9]* succeeded in \([0-9.]*\) s$/\1/p' | tail -1)
changes=$(printf '%s\n' "$out" | grep -E "^$router: ([0-9]+|no) changes\$" | tail -1)
echo "lab: bench fabric-apply-seconds $fabric_s"
echo "lab: bench fabric-job-seconds ${job_s:-?}"
echo "lab: bench fabric-apply-summary $changes"
echo "lab: bench fabric-apply-phases $(phases "$out")"
t=$(now)
out=$(cli_raw router apply "$router" --wait 2>&1) || finish failed "the second fabric router apply"
echo "lab: bench fabric-second-apply-seconds $(since "$t")"
echo "lab: bench fabric-second-apply-summary $(printf '%s\n' "$out" | tail -1)"
echo "lab: bench fabric-second-apply-phases $(phases "$out")"
t=$(now)
n=$(plan_changes) || finish failed "fabric router plan"
echo "lab: bench fabric-plan-seconds $(since "$t")"
[ "$n" = 0 ] || finish failed "the plan after apply has $n changes"
# The ruleset Fabric wrote, for the script to load the same one.
router_ssh 'cat /run/fabric/router/fabric.nft' > "$work/fabric.nft" || finish failed "reading the ruleset Fabric wrote"
[ "$changes" != "$router: no changes" ] || finish failed "Fabric's timed apply found nothing to change (the router was not reset)"

# --- the script: the commands Fabric ran, in its order.
script=$work/router-script.sh
{
	echo 'set -e'
	for ((v = 1; v <= vlans; v++)); do
		echo "ip link add link eth1 name eth1.$((100 + v)) type vlan id $((100 + v))"
		echo "ip link set dev eth1.$((100 + v)) alias fabric:pub$v"
		echo "ip link set dev eth1.$((100 + v)) up"
		echo "ip addr add 100.64.$v.1/24 dev eth1.$((100 + v))"
	done
	for ((v = 1; v <= vlans; v++)); do
		echo "sysctl -w net.ipv4.conf.eth1/$((100 + v)).forwarding=1"
		echo "sysctl -w net.ipv4.conf.eth1/$((100 + v)).proxy_arp=1"
	done
	echo "sysctl -w net.ipv4.ip_forward=1"
	echo "mkdir -p /run/fabric/router"
	echo "cat > /run/fabric/router/fabric.nft <<'FABRIC_NFT'"
	cat "$work/fabric.nft"
	echo "FABRIC_NFT"
	echo "nft -f /run/fabric/router/fabric.nft"
} > "$script"
say "the script: $(grep -c . "$script") lines, $(grep -cE '^(ip|sysctl|nft|mkdir) ' "$script") commands"

reset_router
echo "lab: bench load-before-script $(load)"
t=$(now)
router_ssh sh -s < "$script" >/dev/null || finish failed "the shell script over ssh"
echo "lab: bench script-seconds $(since "$t")"
n=$(plan_changes) || finish failed "fabric router plan after the script"
echo "lab: bench plan-after-script $n changes"
[ "$n" = 0 ] || finish failed "after the script Fabric's plan has $n changes: it did not do the same"

# --- the same commands, each on its own channel of one SSH connection.
reset_router
ctl=$work/ssh-ctl
router_ssh -o ControlMaster=yes -o ControlPath="$ctl" -o ControlPersist=300 true || finish failed "opening the shared SSH connection"
echo "lab: bench load-before-channels $(load)"
t=$(now)
router_ssh -o ControlPath="$ctl" 'mkdir -p /run/fabric/router && cat > /run/fabric/router/fabric.nft' < "$work/fabric.nft" || finish failed "writing the ruleset"
grep -E '^(ip|sysctl|nft) ' "$script" | while read -r c; do
	router_ssh -o ControlPath="$ctl" "$c" </dev/null >/dev/null || { echo "failed: $c" >&2; exit 1; }
done || finish failed "a command over the shared connection"
echo "lab: bench channels-seconds $(since "$t")"
router_ssh -o ControlPath="$ctl" -O exit 2>/dev/null || true
n=$(plan_changes) || finish failed "fabric router plan after the per-channel run"
echo "lab: bench plan-after-channels $n changes"
[ "$n" = 0 ] || finish failed "after the per-channel run Fabric's plan has $n changes"

# --- Fabric once more, last, so a change of the machine's load during the run shows (its time before and after the scripts).
reset_router
echo "lab: bench load-before-fabric-again $(load)"
t=$(now)
out=$(cli_raw router apply "$router" --wait 2>&1) || { printf '%s\n' "$out" | tail -20; finish failed "fabric router apply (again)"; }
echo "lab: bench fabric-apply-again-seconds $(since "$t")"
echo "lab: bench fabric-apply-again-phases $(phases "$out")"
n=$(plan_changes) || finish failed "fabric router plan after the last apply"
[ "$n" = 0 ] || finish failed "the plan after the last apply has $n changes"
echo "lab: bench load-after $(load)"

finish up "benchmark done"
