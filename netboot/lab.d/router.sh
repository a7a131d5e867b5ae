# shellcheck shell=bash
# netboot/lab --scenario router: the router, netbooted by Fabric and applied by it. Sourced by netboot/lab once the
# appliance is up (its functions and variables: cli, cli_raw, api, json, say, finish, ns_add, pids, $sw, $cfg, $work,
# $log_dir, $boot_dir, $console, $net_prefix, $timeout, $id); it ends with `finish`.
#
#  boot bridge br0 ($sw) ── appliance ($cfg) ── router NIC 1 (eth0, PXE)
#  trunk bridge br-trunk ($sw, Linux: passes 802.1Q tags) ── router NIC 2 (eth1, the trunk)
#     └── veth ── Open vSwitch (userspace) in fnb-ID-ovs: trunk port (VLANs 100, 200); access ports tag=100 ->
#         host fnb-ID-h100 (web100, 203.0.113.10), tag=200 -> host fnb-ID-h200 (web200, 198.51.100.10)
#  outside bridge br-out ($sw) ── router NIC 3 (eth2, the uplink, 192.0.2.1) ── host fnb-ID-out (192.0.2.2)
#
# The registry: networks pub100 (public, VLAN 100, 203.0.113.0/24) and pub200 (public, VLAN 200, 198.51.100.0/24),
# instance records web100 and web200 on them (the hosts above stand in for their VMs: this machine's kernel has no
# VLAN devices, so OVS tags for them), and the router router1 (--role router --trunk eth1 --uplink eth2), whose SSH
# host key Fabric pins from its up report. Then `fabric router apply router1 --wait` and the checks; each prints a
# `lab:` line, and the lab exits 0 only when all held:
#   lab: router plan after apply: N changes            (N must be 0)
#   lab: router outside -> web100: ok                  (proxy ARP + forwarding)
#   lab: router web200 -> web100: blocked              (no path between two instance networks)
#   lab: router spoofed source from VLAN 100: dropped  (the source set of the VLAN)
#   lab: router drift plan: N changes                  (eth1.100 deleted by hand: N > 0, naming eth1.100)
#   lab: router plan after repair: 0 changes           (and outside -> web100 again)
# shellcheck disable=SC2154,SC2034 # the variables above are netboot/lab's, and it reads node and node_known

router=router1 router_ip=$net_prefix.20
router_mac=$mac # --mac, else a fresh one
ovs=fnb-$id-ovs h100=fnb-$id-h100 h200=fnb-$id-h200 out=fnb-$id-out
web100_ip=203.0.113.10 web200_ip=198.51.100.10 spoof_ip=203.0.113.99 uplink_ip=192.0.2.1 outside_ip=192.0.2.2
node=$router # finish prints the router's registry record

[ "$server" = appliance ] || finish error "--scenario router needs --server appliance"
[ -f "$boot_dir/router-root.img" ] || finish error "$boot_dir/router-root.img is missing (run netboot/build $boot_dir)"
for c in ovs-vsctl ovsdb-server ovs-vswitchd; do
	[ -n "${router_bench:-}" ] || command -v "$c" >/dev/null || finish error "missing $c (apt-get install -y openvswitch-switch)"
done

# --- the switches: Linux bridges for the trunk and the outside next to br0, OVS with the VLAN access ports.
for b in br-trunk br-out; do
	ip -n "$sw" link add name "$b" type bridge
	ip -n "$sw" link set dev "$b" type bridge stp_state 0 forward_delay 0 2>/dev/null || true
	ip -n "$sw" link set dev "$b" up
done
if [ -z "${router_bench:-}" ]; then # (the benchmark, lab.d/router-bench.sh, needs only the router and its own registry)
	ns_add "$ovs"
	d=$work/ovs
	mkdir -p "$d"
	ovs_env() { OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d "$@"; }
	vsctl() { ovs_env ovs-vsctl --db="unix:$d/db.sock" "$@"; }
	ovs_env ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovs_env ip netns exec "$ovs" ovsdb-server -vconsole:off "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" \
		--detach --log-file="$d/ovsdb.log" --no-chdir || finish error "ovsdb-server did not start"
	pids+=("$(cat "$d/ovsdb.pid")")
	vsctl --no-wait init
	ovs_env ip netns exec "$ovs" ovs-vswitchd -vconsole:off "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" --detach \
		--log-file="$d/vswitchd.log" --no-chdir || finish error "ovs-vswitchd did not start"
	pids+=("$(cat "$d/vswitchd.pid")")
	vsctl add-br br0 -- set bridge br0 datapath_type=netdev
	ip -n "$sw" link add name trunk0 type veth peer name trunk netns "$ovs"
	ip -n "$sw" link set trunk0 master br-trunk up
	ip -n "$ovs" link set trunk up
	vsctl add-port br0 trunk trunks=100,200
	# host NS VLAN IP GATEWAY: a host on an OVS access port of VLAN; computes its own checksums (OVS's userspace
	# datapath does not complete what a veth leaves to offload).
	vlan_host() {
		ns_add "$1"
		ip -n "$ovs" link add name "p$2" type veth peer name eth0 netns "$1"
		ip -n "$ovs" link set "p$2" up
		vsctl add-port br0 "p$2" tag="$2"
		ip -n "$1" addr add "$3/24" dev eth0
		ip -n "$1" link set eth0 up
		ip -n "$1" route add default via "$4"
		ip netns exec "$1" ethtool -K eth0 tx off >/dev/null 2>&1 || true
	}
	vlan_host "$h100" 100 "$web100_ip" 203.0.113.1
	vlan_host "$h200" 200 "$web200_ip" 198.51.100.1
	ns_add "$out"
	ip -n "$sw" link add name out0 type veth peer name eth0 netns "$out"
	ip -n "$sw" link set out0 master br-out up
	ip -n "$out" addr add "$outside_ip/24" dev eth0
	ip -n "$out" link set eth0 up
	ip -n "$out" route add 203.0.113.0/24 via "$uplink_ip"
	ip -n "$out" route add 198.51.100.0/24 via "$uplink_ip"
	say "trunk: Linux bridge br-trunk in $sw -> OVS in $ovs (trunks 100,200); $h100 on VLAN 100 ($web100_ip), $h200 on VLAN 200 ($web200_ip); outside $out ($outside_ip)"

	# --- the registry, as an operator would fill it.
	say "operator: fabric network add pub100 --kind public --cidr 203.0.113.0/24 --gateway 203.0.113.1 --vlan 100 (and pub200, VLAN 200)"
	cli network add pub100 --kind public --cidr 203.0.113.0/24 --gateway 203.0.113.1 --vlan 100 || finish error "registering network pub100"
	cli network add pub200 --kind public --cidr 198.51.100.0/24 --gateway 198.51.100.1 --vlan 200 || finish error "registering network pub200"
	say "operator: fabric node add web100 --role instance --ip $web100_ip --network pub100 (and web200 on pub200)"
	cli node add web100 --role instance --mac 52:54:00:64:00:10 --ip "$web100_ip" --network pub100 || finish error "registering instance web100"
	cli node add web200 --role instance --mac 52:54:00:c8:00:10 --ip "$web200_ip" --network pub200 || finish error "registering instance web200"
fi
say "operator: fabric node add $router --mac $router_mac --role router --ip $router_ip --network lab --trunk eth1 --uplink eth2"
cli node add "$router" --mac "$router_mac" --role router --ip "$router_ip" --network lab --trunk eth1 --uplink eth2 ||
	finish error "registering the router"
node_known=1

# --- the router: a qemu guest with three NICs; only the first has a boot ROM.
ip -n "$sw" tuntap add tapr0 mode tap
ip -n "$sw" tuntap add tapr1 mode tap
ip -n "$sw" tuntap add tapr2 mode tap
ip -n "$sw" link set tapr0 master br0 up
ip -n "$sw" link set tapr1 master br-trunk up
ip -n "$sw" link set tapr2 master br-out up
t_add=$(date +%s.%N)
start_router() { # powers the router's qemu on (again); sets router_pid
	# shellcheck disable=SC2054 # qemu takes comma-separated sub-options
	ip netns exec "$sw" qemu-system-x86_64 -accel tcg -m 384 -smp 1 -display none -serial "file:$console" -no-reboot -boot n \
	-netdev tap,id=n0,ifname=tapr0,script=no,downscript=no -device "virtio-net-pci,netdev=n0,mac=$router_mac" \
	-netdev tap,id=n1,ifname=tapr1,script=no,downscript=no -device "virtio-net-pci,netdev=n1,mac=52:54:00:01:00:01,romfile=" \
	-netdev tap,id=n2,ifname=tapr2,script=no,downscript=no -device "virtio-net-pci,netdev=n2,mac=52:54:00:01:00:02,romfile=" \
	>>"$log_dir/qemu.log" 2>&1 &
	router_pid=$!
	pids+=("$router_pid")
	say "power on router $router ($router_mac) in $sw; serial console $console"
}
wait_router_up() { # until the router is up (after it was seen booting, when $1 is "again")
	local state= last= seen_booting=
	[ "${1:-}" = again ] || seen_booting=1
	local deadline=$(($(date +%s) + timeout))
	while :; do
		state=$(api GET "/api/v1/nodes/$router" 2>/dev/null | json 'd["state"]' 2>/dev/null || echo "?")
		[ "$state" != "$last" ] && { say "$router: ${last:-(none)} -> $state"; last=$state; }
		[ "$state" = booting ] && seen_booting=1
		[ "$state" = up ] && [ -n "$seen_booting" ] && break
		[ "$state" = failed ] && finish failed "the router failed to boot: $(grep -a '^fabric: FAILED' "$console" | tail -1 | tr -d '\r')"
		kill -0 "$router_pid" 2>/dev/null || finish error "the router's qemu exited (state $state)"
		[ "$(date +%s)" -lt "$deadline" ] || finish timeout "the router did not come up within ${timeout}s (state $state)"
		sleep 1
	done
}
start_router
wait_router_up
echo "lab: up-seconds $(awk -v a="$t_add" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')"
grep -a '^fabric: ' "$console" | tr -d '\r' | sed 's/^/lab:   console: /'

# --- SSH to the router as Fabric does: Fabric's key, the host key the registry pinned from the up report.
hk=$(api GET "/api/v1/nodes/$router" | json 'd.get("sshHostKey") or ""')
[ -n "$hk" ] || finish failed "the router reported no SSH host key"
echo "$router_ip $hk" > "$work/router_known_hosts"
router_ssh() {
	timeout 60 ip netns exec "$cfg" ssh -i "$work/data/ssh/id_ecdsa" -o UserKnownHostsFile="$work/router_known_hosts" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=20 -o LogLevel=ERROR "root@$router_ip" "$@"
}
plan_changes() { # prints the number of changes in the router's plan
	cli_raw router plan "$router" -o json 2>>"$log_dir/plan.err" | json 'len(d["changes"])'
}
ping_ok() { # NS ADDRESS [ping options]: 0 when any of 3 pings is answered
	local ns=$1 addr=$2; shift 2
	ip netns exec "$ns" ping -c 3 -i 0.5 -W 2 "$@" "$addr" >/dev/null 2>&1
}

say "router's host key (pinned from its up report): $(echo "$hk" | cut -c1-40)..."
# The uplink's address is the provider's, not Fabric's plan: the operator sets it.
say "operator: on $router: ip addr add $uplink_ip/24 dev eth2"
router_ssh "ip addr add $uplink_ip/24 dev eth2 && ip link set eth2 up" || finish failed "setting the router's uplink address over SSH"
[ -z "${router_bench:-}" ] || return 0 # lab.d/router-bench.sh goes on from here

say "operator: fabric router apply $router --wait"
cli router apply "$router" --wait || finish failed "fabric router apply $router"
n=$(plan_changes) || finish failed "fabric router plan $router: $(tail -c 300 "$log_dir/plan.err")"
echo "lab: router plan after apply: $n changes"
[ "$n" = 0 ] || finish failed "the plan after apply is not empty: $(cli_raw router plan "$router" | tr '\n' ' ')"
say "on $router: $(router_ssh "ip -br addr show | grep '^eth1\.' | tr -s ' ' | tr '\n' ';'")"

# The outside reaches web100's public address through the router (proxy ARP on eth1.100, forwarding).
ping_ok "$out" "$web100_ip" || finish failed "the outside host cannot ping web100 ($web100_ip) through the router"
echo "lab: router outside -> web100: ok"
# web200 reaches the outside (so its path works) but not web100: no path between two instance networks.
ping_ok "$h200" "$outside_ip" || finish failed "web200 cannot ping the outside host (its path through the router)"
if ping_ok "$h200" "$web100_ip"; then finish failed "web200 (VLAN 200) reached web100 (VLAN 100) through the router"; fi
echo "lab: router web200 -> web100: blocked"
# A source address that is not web100's, from VLAN 100: dropped; the same ping from web100's own address gets out.
ip -n "$h100" addr add "$spoof_ip/32" dev eth0
ping_ok "$h100" "$outside_ip" -I "$web100_ip" || finish failed "web100 cannot ping the outside host from its own address"
if ping_ok "$h100" "$outside_ip" -I "$spoof_ip"; then finish failed "a spoofed source ($spoof_ip) from VLAN 100 got out"; fi
echo "lab: router spoofed source from VLAN 100: dropped"

# Drift: someone deletes eth1.100 by hand; the plan shows it, apply repairs it.
say "on $router (by hand): ip link del eth1.100"
router_ssh "ip link del eth1.100" || finish failed "deleting eth1.100 on the router over SSH"
drift=$(cli_raw router plan "$router" 2>&1)
n=$(plan_changes) || finish failed "fabric router plan $router after the drift"
echo "lab: router drift plan: $n changes"
printf '%s\n' "$drift" | sed 's/^/lab:   /'
[ "$n" -gt 0 ] && grep -q 'add link eth1.100' <<<"$drift" || finish failed "the plan does not show the deleted eth1.100"
say "operator: fabric router apply $router --wait"
cli router apply "$router" --wait || finish failed "fabric router apply $router after the drift"
n=$(plan_changes) || finish failed "fabric router plan $router after the repair"
echo "lab: router plan after repair: $n changes"
[ "$n" = 0 ] || finish failed "the plan after the repair is not empty"
ping_ok "$out" "$web100_ip" || finish failed "the outside host cannot ping web100 after the repair"
say "outside -> web100 works again after the repair"

# Drift of the trunk: eth1 set down by hand; the plan brings it up first, apply repairs it.
say "on $router (by hand): ip link set eth1 down"
router_ssh "ip link set eth1 down" || finish failed "setting eth1 down on the router over SSH"
drift=$(cli_raw router plan "$router" 2>&1)
printf '%s\n' "$drift" | sed 's/^/lab:   /'
grep -q 'set link eth1 up' <<<"$drift" || finish failed "the plan does not bring the trunk eth1 up"
cli router apply "$router" --wait || finish failed "fabric router apply $router after the trunk went down"
n=$(plan_changes) || finish failed "fabric router plan $router after the trunk repair"
echo "lab: router trunk down repaired, plan after: $n changes"
[ "$n" = 0 ] || finish failed "the plan after the trunk repair is not empty"

# A reboot: the router's root is in RAM, so its host key is the one Fabric keeps for it (fetched at boot with its boot
# token); the registry accepts its second up report with the key it pinned, and Fabric reaches it again.
say "power off router $router and on again (a reboot; its root is in RAM)"
kill "$router_pid" 2>/dev/null
wait "$router_pid" 2>/dev/null || true
start_router
wait_router_up again
hk2=$(api GET "/api/v1/nodes/$router" | json 'd.get("sshHostKey") or ""')
mismatches=$(api GET "/api/v1/nodes/$router/events" | json 'len([e for e in d if e["kind"] == "ssh-host-key-mismatch"])')
grep -a '^fabric: ssh' "$console" | tr -d '\r' | tail -2 | sed 's/^/lab:   console: /'
[ "$hk2" = "$hk" ] && [ "$mismatches" = 0 ] || finish failed "after the reboot the router's host key changed ($hk2) or was refused ($mismatches mismatches)"
cli router apply "$router" --wait || finish failed "fabric router apply $router after the reboot"
n=$(plan_changes) || finish failed "fabric router plan $router after the reboot"
echo "lab: router reboot: second up accepted, host key kept, plan after apply: $n changes"
[ "$n" = 0 ] || finish failed "the plan after the reboot's apply is not empty"

# --- To come: a real instance with a public IP on VLAN 100 (a hypervisor namespace on the trunk bridge br-trunk with its
# own OVS, `fabric instance create`), live-migrated while the outside host pings it 10 times a second; the plan must
# stay empty across the migration, and the lab prints `lab: migration lost N of M pings` (at most 1 lost).

finish up "router $router netbooted, applied (empty second plan), reachable, isolated, anti-spoofing, drift repaired, rebooted with its host key"
