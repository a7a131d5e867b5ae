# shellcheck shell=bash
# netboot/lab --scenario router: the router, netbooted by Fabric and applied by it, and a real instance behind it,
# live-migrated under ping from outside. Sourced by netboot/lab once the appliance is up (its functions and variables:
# cli, cli_raw, api, json, say, finish, host, ns_add, pids, $sw, $cfg, $work, $log_dir, $boot_dir, $console, $net_prefix,
# $timeout, $id); it ends with `finish`. lab.d/router.before.sh ran before the appliance started (its eth1 on VLAN 100),
# lab.d/hypervisors.sh makes the hypervisors.
#
#  boot bridge br0 ($sw) ── appliance ($cfg, eth0) ── router NIC 1 (eth0, PXE)
#                        ── hypervisors fnb-ID-hv0 (10.99.0.30), fnb-ID-hv1 (10.99.0.31): eth0, management and migration
#  trunk bridge br-trunk ($sw, Linux: passes 802.1Q tags) ── router NIC 2 (eth1, the trunk)
#     └── veth ── Open vSwitch (userspace) in fnb-ID-ovs, the lab's VLAN switch:
#           trunk ports (VLANs 100, 200): br-trunk, and each hypervisor's uplink (the uplink of its own OVS br0, where
#             Fabric plugs an instance's tap as an access port of its network's VLAN)
#           access ports: tag=100 -> the appliance's eth1 (203.0.113.2: Fabric's DHCP for pub100) and host fnb-ID-h100
#             (host100, 203.0.113.11); tag=200 -> host fnb-ID-h200 (web200, 198.51.100.10)
#  outside bridge br-out ($sw) ── router NIC 3 (eth2, the uplink, 192.0.2.1) ── host fnb-ID-out (192.0.2.2)
#
# The registry: networks pub100 (public, VLAN 100, 203.0.113.0/24) and pub200 (public, VLAN 200, 198.51.100.0/24); the
# hypervisors hv0 and hv1 (hardware, their host keys pinned, labels fabric.instances/switch=ovs, accelerator=tcg); the
# instance records host100 and web200 for the two namespace hosts (a VM would add nothing there: they send the spoofed
# and the cross-VLAN pings, which a guest with no shell on its console could not); the router router1 (--role router
# --trunk eth1 --uplink eth2), whose SSH host key Fabric pins from its up report. Then `fabric router apply router1
# --wait`, and web100, a real instance: `fabric instance create web100 --network pub100 --ip 203.0.113.10 --hypervisor
# hv0 --wait`, a qemu (TCG) from a copy of images/guest.img on hv0, which takes its address and its gateway (the router)
# from Fabric's DHCP on VLAN 100; its creation queues the router's automatic apply. Each check prints a `lab:` line, and
# the lab exits 0 only when all held:
#   lab: router plan after apply: N changes            (N must be 0)
#   lab: router instance create -> first outside ping S s   (`instance create` to the first reply from outside)
#   lab: router plan after instance create: N changes  (the automatic apply did it: N must be 0)
#   lab: router outside -> web100: ok                  (proxy ARP + forwarding, to the real instance)
#   lab: router web200 -> web100: blocked              (no path between two instance networks)
#   lab: router spoofed source from VLAN 100: dropped  (the source set of the VLAN)
#   lab: router drift plan: N changes                  (eth1.100 deleted by hand: N > 0, naming eth1.100)
#   lab: router plan after repair: 0 changes           (and outside -> web100 again)
#   lab: router trunk down repaired, plan after: 0 changes
#   lab: router reboot: second up accepted, host key kept, plan after apply: 0 changes
#   lab: router plan during migration: N changes       (read while web100 is migrating hv0 -> hv1: N must be 0)
#   lab: router plan after migration: N changes        (N must be 0, and no router-apply job was queued)
#   lab: migration lost N of M pings                   (the outside host pings web100 10 times a second: N <= 1)
#   lab: migration total-ms X downtime-ms Y            (QMP's figures, from the job)
# and web100 must run on hv1 alone afterwards with its uptime still counting (no reboot).
# shellcheck disable=SC2154,SC2034 # the variables above are netboot/lab's, and it reads node and node_known

router=router1 router_ip=$net_prefix.20
router_mac=$mac # --mac, else a fresh one
ovs=fnb-$id-ovs h100=fnb-$id-h100 h200=fnb-$id-h200 out=fnb-$id-out hv0=fnb-$id-hv0 hv1=fnb-$id-hv1
web100_ip=203.0.113.10 host100_ip=203.0.113.11 web200_ip=198.51.100.10 spoof_ip=203.0.113.99 uplink_ip=192.0.2.1 outside_ip=192.0.2.2
hv0_ip=$net_prefix.30 hv1_ip=$net_prefix.31
node=$router # finish prints the router's registry record

[ "$server" = appliance ] || finish error "--scenario router needs --server appliance"
[ -f "$boot_dir/router-root.img" ] || finish error "$boot_dir/router-root.img is missing (run netboot/build $boot_dir)"
for c in ovs-vsctl:openvswitch-switch ovsdb-server:openvswitch-switch ovs-vswitchd:openvswitch-switch socat:socat \
	sshd:openssh-server ethtool:ethtool ping:iputils-ping; do
	[ -n "${router_bench:-}" ] || command -v "${c%%:*}" >/dev/null || finish error "missing ${c%%:*} (apt-get install -y ${c#*:})"
done
[ -n "${router_bench:-}" ] || [ -f "$boot_dir/images/guest.img" ] || finish error "$boot_dir/images/guest.img is missing (run netboot/build $boot_dir)"

# --- the switches: Linux bridges for the trunk and the outside next to br0, OVS with the VLAN access ports.
for b in br-trunk br-out; do
	ip -n "$sw" link add name "$b" type bridge
	ip -n "$sw" link set dev "$b" type bridge stp_state 0 forward_delay 0 2>/dev/null || true
	ip -n "$sw" link set dev "$b" up
done
if [ -z "${router_bench:-}" ]; then # (the benchmark, lab.d/router-bench.sh, needs only the router and its own registry)
	# shellcheck source=netboot/lab.d/hypervisors.sh
	. "$(dirname "${BASH_SOURCE[0]}")/hypervisors.sh"
	ns_add "$ovs"
	lab_ovs sw "$ovs" br0
	ip -n "$sw" link add name trunk0 type veth peer name trunk netns "$ovs"
	ip -n "$sw" link set trunk0 master br-trunk up
	ip -n "$ovs" link set trunk up
	lab_vsctl sw add-port br0 trunk trunks=100,200
	# The appliance's eth1 (lab.d/router.before.sh): an access port of VLAN 100, where Fabric's DHCP serves pub100.
	ip -n "$sw" link set a-cfg netns "$ovs"
	ip -n "$ovs" link set a-cfg up
	lab_vsctl sw add-port br0 a-cfg tag=100
	# host NS VLAN IP GATEWAY: a host on an OVS access port of VLAN; computes its own checksums (OVS's userspace
	# datapath does not complete what a veth leaves to offload).
	vlan_host() {
		ns_add "$1"
		ip -n "$ovs" link add name "p$2" type veth peer name eth0 netns "$1"
		ip -n "$ovs" link set "p$2" up
		lab_vsctl sw add-port br0 "p$2" tag="$2"
		ip -n "$1" addr add "$3/24" dev eth0
		ip -n "$1" link set eth0 up
		ip -n "$1" route add default via "$4"
		ip netns exec "$1" ethtool -K eth0 tx off >/dev/null 2>&1 || true
	}
	vlan_host "$h100" 100 "$host100_ip" 203.0.113.1
	vlan_host "$h200" 200 "$web200_ip" 198.51.100.1
	ns_add "$out"
	ip -n "$sw" link add name out0 type veth peer name eth0 netns "$out"
	ip -n "$sw" link set out0 master br-out up
	ip -n "$out" addr add "$outside_ip/24" dev eth0
	ip -n "$out" link set eth0 up
	ip -n "$out" route add 203.0.113.0/24 via "$uplink_ip"
	ip -n "$out" route add 198.51.100.0/24 via "$uplink_ip"
	say "trunk: Linux bridge br-trunk in $sw -> OVS in $ovs (trunks 100,200); appliance eth1 (203.0.113.2) and $h100 ($host100_ip) on VLAN 100, $h200 on VLAN 200 ($web200_ip); outside $out ($outside_ip)"

	# --- the registry, as an operator would fill it.
	say "operator: fabric network add pub100 --kind public --cidr 203.0.113.0/24 --gateway 203.0.113.1 --vlan 100 (and pub200, VLAN 200)"
	cli network add pub100 --kind public --cidr 203.0.113.0/24 --gateway 203.0.113.1 --vlan 100 || finish error "registering network pub100"
	cli network add pub200 --kind public --cidr 198.51.100.0/24 --gateway 198.51.100.1 --vlan 200 || finish error "registering network pub200"
	say "operator: fabric node add host100 --role instance --ip $host100_ip --network pub100 (and web200 on pub200: the namespace hosts' records)"
	cli node add host100 --role instance --mac 52:54:00:64:00:11 --ip "$host100_ip" --network pub100 || finish error "registering instance host100"
	cli node add web200 --role instance --mac 52:54:00:c8:00:10 --ip "$web200_ip" --network pub200 || finish error "registering instance web200"

	# --- two hypervisors on the boot network, their OVS uplinks trunks of the lab's VLAN switch.
	for h in hv0 hv1; do
		hns=fnb-$id-$h hip=$hv0_ip
		[ "$h" = hv1 ] && hip=$hv1_ip
		host "$hns" "$hip"
		hypervisor "$h" "$hns" "$hip" lab sw 100,200 2048
	done
	say "hypervisors: hv0 ($hv0_ip, $hv0) and hv1 ($hv1_ip, $hv1): sshd, OVS br0 with a trunk uplink (100,200) to $ovs"
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
cli_lines() { # fabric ARGS: the command line's output, each line prefixed; fails with the command
	local out rc=0
	out=$(cli_raw "$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/lab:   /'
	return "$rc"
}
instance_field() { api GET "/api/v1/instances/$1" | json "d.get('$2') or ''"; }
instance_state() { api GET "/api/v1/instances/$1" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; } # (no python: polled often)
console_of() { cli_raw instance console "$1" 2>/dev/null | tr -d '\r' || true; }
last_uptime() { console_of "$1" | { grep -a '^guest: uptime ' || true; } | tail -1 | awk '{print $3}'; }
apply_jobs() { # the router's router-apply jobs: "ALL UNFINISHED"
	api GET "/api/v1/jobs?node=$router" | json "'%d %d' % (len([j for j in d if j['kind'] == 'router-apply']), len([j for j in d if j['kind'] == 'router-apply' and j['state'] in ('queued', 'running')]))"
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

# --- web100, a real instance with a public address: created on hv0 from a copy of the guest image; it takes its
# address by DHCP from Fabric on VLAN 100, the router's automatic apply adds it to VLAN 100's sources, and the outside
# host pings it through the router. Timed from the command to the first reply from outside.
mkdir -p "$work/disks"
disk=$work/disks/web100.img
cp --sparse=always "$boot_dir/images/guest.img" "$disk"
say "operator: fabric instance create web100 --network pub100 --ip $web100_ip --hypervisor hv0 --vcpus 1 --memory-mib 128 --disk-volume $disk --image guest --wait"
t_create=$(date +%s.%N)
cli_lines instance create web100 --network pub100 --ip "$web100_ip" --hypervisor hv0 --vcpus 1 --memory-mib 128 \
	--disk-volume "$disk" --image guest --wait || finish failed "creating instance web100"
say "web100 is $(instance_field web100 state) on $(instance_field web100 hypervisor) after $(awk -v a="$t_create" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')s; the outside host pings $web100_ip"
deadline=$(($(date +%s) + timeout))
until ip netns exec "$out" ping -c 1 -W 1 "$web100_ip" >/dev/null 2>&1; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		finish failed "web100 ($web100_ip) never answered the outside host; its console: $(console_of web100 | tail -3 | tr '\n' '|')"
	sleep 0.2
done
echo "lab: router instance create -> first outside ping $(awk -v a="$t_create" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
say "load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine's, for the figure above)"
say "web100's console: $(console_of web100 | grep -a 'guest: booted\|guest: .* has ' | tr '\n' ';')"
# The automatic apply its creation queued (the source set of VLAN 100 now holds web100) has ended: the plan is empty.
for _ in $(seq 1 "$timeout"); do
	read -r _ unfinished <<<"$(apply_jobs)"
	[ "$unfinished" = 0 ] && break
	sleep 1
done
say "router-apply jobs on $router (all, unfinished): $(apply_jobs)"
n=$(plan_changes) || finish failed "fabric router plan $router after the instance create"
echo "lab: router plan after instance create: $n changes"
[ "$n" = 0 ] || finish failed "the plan after web100's creation is not empty: $(cli_raw router plan "$router" | tr '\n' ' ')"

# The outside reaches web100's public address through the router (proxy ARP on eth1.100, forwarding).
ping_ok "$out" "$web100_ip" || finish failed "the outside host cannot ping web100 ($web100_ip) through the router"
echo "lab: router outside -> web100: ok"
# web200 reaches the outside (so its path works) but not web100: no path between two instance networks.
ping_ok "$h200" "$outside_ip" || finish failed "web200 cannot ping the outside host (its path through the router)"
if ping_ok "$h200" "$web100_ip"; then finish failed "web200 (VLAN 200) reached web100 (VLAN 100) through the router"; fi
echo "lab: router web200 -> web100: blocked"
# A source address that is not host100's, from VLAN 100: dropped; the same ping from host100's own address gets out.
ip -n "$h100" addr add "$spoof_ip/32" dev eth0
ping_ok "$h100" "$outside_ip" -I "$host100_ip" || finish failed "host100 cannot ping the outside host from its own address"
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
# The uplink's address went with the router's RAM: the operator sets it again (it is the provider's, not Fabric's plan).
say "operator: on $router after its reboot: ip addr add $uplink_ip/24 dev eth2"
router_ssh "ip addr add $uplink_ip/24 dev eth2 && ip link set eth2 up" || finish failed "setting the router's uplink address over SSH after its reboot"

# --- The live migration of web100 from hv0 to hv1, while the outside host pings it 10 times a second through the
# router. A migration inside one VLAN changes neither address nor network: the router's plan stays empty during and
# after it, and no router-apply job is queued.
[ "$(instance_field web100 hypervisor)" = hv0 ] && [ -n "$(qemu_on "$hv0" web100)" ] || finish failed "web100 does not run on hv0 before the migration"
ping_ok "$out" "$web100_ip" || finish failed "the outside host cannot ping web100 after the router's reboot"
ip netns exec "$out" ping -D -O -i 0.1 -W 1 "$web100_ip" > "$log_dir/ping.log" 2>&1 &
ping_pid=$!
pids+=("$ping_pid")
sleep 3
before=$(last_uptime web100)
read -r applies_before _ <<<"$(apply_jobs)"
say "operator: fabric instance migrate web100 --target hv1 --wait (guest uptime ${before:-?} s, the outside host pinging 10/s)"
t_mig=$(date +%s.%N)
cli_raw instance migrate web100 --target hv1 --wait > "$log_dir/migrate.out" 2>&1 &
mig_pid=$!
pids+=("$mig_pid")
# The plan read while the instance is migrating: through the API (the command line's start-up would take the CPU the
# migration and the pings need on this machine).
state=
for _ in $(seq 1 300); do
	state=$(instance_state web100 2>/dev/null || true)
	[ "$state" = migrating ] && break
	kill -0 "$mig_pid" 2>/dev/null || break
	sleep 0.2
done
[ "$state" = migrating ] || finish failed "web100 was never seen migrating (state ${state:-?}): $(tail -3 "$log_dir/migrate.out" | tr '\n' ' ')"
t_p0=$(date +%s.%N)
n_during=$(api GET "/api/v1/routers/$router/plan" | json 'len(d["changes"])') || finish failed "reading the router's plan during the migration"
t_p1=$(date +%s.%N)
state_after_plan=$(instance_state web100 2>/dev/null || true)
echo "lab: router plan during migration: $n_during changes"
say "the plan was read while web100 was migrating (state $state_after_plan when it came back)"
mig_rc=0
wait "$mig_pid" || mig_rc=$?
t_back=$(date +%s.%N)
sed 's/^/lab:   /' "$log_dir/migrate.out"
[ "$mig_rc" = 0 ] || finish failed "the migration failed: $(grep -a 'log \|error' "$log_dir/migrate.out" | tail -2 | tr '\n' ' ')"
echo "lab: migration wall-ms $(awk -v a="$t_mig" -v b="$t_back" 'BEGIN {printf "%d", (b - a) * 1000}')"
sleep 3
kill -INT "$ping_pid" 2>/dev/null || true
wait "$ping_pid" 2>/dev/null || true
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$log_dir/ping.log")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$log_dir/ping.log")
lost=$((${sent:-0} - ${got:-0}))
echo "lab: migration lost $lost of ${sent:-0} pings"
# Which pings went unanswered or late (ping -O says "no answer yet" when the next one leaves), and which never got a
# reply, against the moment the job logged the migration completed (polled every 200 ms), else the command's return.
job=$(sed -n 's/^job \([0-9]*\) .*/\1/p' "$log_dir/migrate.out" | head -1)
t_done=$(api GET "/api/v1/jobs/$job" 2>/dev/null | python3 -c '
import datetime, json, re, sys
log = [l for l in (json.load(sys.stdin).get("log") or []) if "migration completed" in l["line"]]
print(datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", log[-1]["at"])).timestamp() if log else "")' 2>/dev/null || true)
from="the job's \"migration completed\""
[ -n "$t_done" ] || { t_done=$t_back; from="the migrate command's return"; }
{ grep -a 'no answer yet' "$log_dir/ping.log" || true; } | sed 's/^\[\([0-9.]*\)\].*icmp_seq=\([0-9]*\).*/\1 \2/' | while read -r at seq; do
	say "no answer yet to icmp_seq=$seq sent $(awk -v a="$at" -v b="$t_done" 'BEGIN {printf "%+.2f", a - b}') s from $from"
done
never=$(awk -v n="${sent:-0}" '/bytes from/ && match($0, /icmp_seq=[0-9]+/) {got[substr($0, RSTART + 9, RLENGTH - 9)] = 1}
	END {for (i = 1; i <= n; i++) if (!(i in got)) printf "%d ", i}' "$log_dir/ping.log")
[ -z "$never" ] || say "never answered: icmp_seq $never"
say "the plan during the migration was read from $(awk -v a="$t_p0" -v b="$t_done" 'BEGIN {printf "%+.2f", a - b}') to $(awk -v a="$t_p1" -v b="$t_done" 'BEGIN {printf "%+.2f", a - b}') s from $from"
figures=$(grep -a 'runs on hv1: total' "$log_dir/migrate.out" | tail -1 || true)
total=$(echo "$figures" | sed -n 's/.*total \([0-9]*\) ms.*/\1/p')
down=$(echo "$figures" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')
echo "lab: migration total-ms ${total:-?} downtime-ms ${down:-?}"
n_after=$(plan_changes) || finish failed "fabric router plan $router after the migration"
read -r applies_after _ <<<"$(apply_jobs)"
echo "lab: router plan after migration: $n_after changes"
say "router-apply jobs on $router: $applies_before before the migration, $applies_after after"
after=$(last_uptime web100)
boots=$(console_of web100 | grep -ac 'guest: booted' || true)
say "web100's uptime ${before:-?} s before, ${after:-?} s after on hv1; $boots boot lines in hv1's console"
[ "$n_during" = 0 ] || finish failed "the router's plan during the migration is not empty ($n_during changes)"
[ "$n_after" = 0 ] || finish failed "the router's plan after the migration is not empty: $(cli_raw router plan "$router" | tr '\n' ' ')"
[ "$applies_after" = "$applies_before" ] || finish failed "the migration queued $((applies_after - applies_before)) router-apply jobs"
[ "$(instance_field web100 state)" = running ] && [ "$(instance_field web100 hypervisor)" = hv1 ] &&
	[ -n "$(qemu_on "$hv1" web100)" ] && [ -z "$(qemu_on "$hv0" web100)" ] ||
	finish failed "web100 is not running on hv1 alone (state $(instance_field web100 state), hypervisor $(instance_field web100 hypervisor), qemu on hv0: $(qemu_on "$hv0" web100), on hv1: $(qemu_on "$hv1" web100))"
ping_ok "$out" "$web100_ip" || finish failed "the outside host cannot ping web100 after the migration"
if [ -z "$before" ] || [ -z "$after" ] || ! awk -v a="$before" -v b="$after" 'BEGIN {exit !(b > a)}' || [ "$boots" != 0 ]; then
	finish failed "web100's uptime did not keep counting (${before:-?} -> ${after:-?}, $boots boots)"
fi
[ "${sent:-0}" -ge 30 ] || finish failed "only ${sent:-0} pings were sent during the migration"
[ "$lost" -le 1 ] || finish failed "$lost of $sent pings from outside lost during the migration"
echo "lab: migration web100 on hv1: uptime $before s -> $after s, $boots reboots"

finish up "router $router netbooted, applied (empty second plan); web100 created and reached from outside; isolated, anti-spoofing, drift repaired, rebooted with its host key; web100 live-migrated hv0 -> hv1 with $lost of $sent pings lost and no router change"
