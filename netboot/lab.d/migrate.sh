#!/usr/bin/env bash
# netboot/lab --scenario migrate: instances on two hypervisors, driven through the `fabric` command line.
# Namespaces (all made here, removed on exit): a switch (a Linux bridge for the management network 10.99.0.0/24 and an
# Open vSwitch on the userspace datapath, the trunk hub for VLANs 100 and 200), the appliance (eth0 on the management
# network, eth1 an access port of VLAN 100: Fabric's DHCP serves the instances' network there), two hypervisors hv0 and
# hv1 (eth0 on the management network; each its own sshd with its own host key, pinned in the registry, whose sessions
# reach that namespace's OVS through SetEnv OVS_RUNDIR; an OVS bridge br0 whose uplink is a trunk to the switch), two
# storage hosts st0 and st1 (eth0 on the management network, each its own sshd with its own host key), and a pinger on
# VLAN 100. The storage hosts are registered as storage nodes stor0 and stor1 of pair `lab` (shelves 0 and 1), each
# with its storagePath and imagePath a folder of its own under the lab's work folder, and the lab pushes
# images/guest.img (netboot/build) to the pair as image `guest` with `fabric image push`. The hypervisors are registered
# as hardware nodes with their capacity and the labels fabric.instances/switch=ovs, fabric.instances/accelerator=tcg and
# fabric.instances/disk=path. Every instance is created with `--image guest --pair lab`: Fabric makes its disk, volume
# NAME-disk, on both storage hosts (a copy of the image on each, exported over AoE by the vblade Fabric starts there),
# and both hypervisors open stor0's volume file by path (network namespaces share one file system, and the host kernel
# has no AoE driver; in production a hypervisor opens /dev/etherd/eS.N or an md RAID1 over both halves).
# The guest takes its registered address from Fabric's DHCP and prints `guest: uptime N` on its console every second.
#
# usage: netboot/lab --scenario migrate [options]
#   --check migrate|no-memory|kill-target|evacuate|launch|purge
#       migrate (default): create vm1 on hv0, ping it 10 times a second, live-migrate it to hv1; print
#         `lab: migration lost N of M pings` and `lab: migration total-ms X downtime-ms Y` (QMP's figures, from the job);
#         succeed when it answers from hv1, no qemu is left on hv0, its uptime kept counting and N <= 1
#       no-memory: hv1 has less memory than vm1 needs: the migration is refused (409) and nothing starts on hv1
#       kill-target: a migration made slow (1 MiB/s, 1 ms downtime limit) whose target qemu is killed: the job fails
#         with the reason, the instance keeps running and answering on hv0
#       evacuate: three instances on hv0, `fabric node evacuate hv0`: all run and answer on hv1, none left on hv0
#       launch: --count instances created at once; prints `lab: launch N instances answer ping after S s`
#       purge: create vm1, `fabric instance stop vm1 --wait`, `fabric instance rm vm1 --purge-volume`: the volume-remove
#         job succeeds, vm1-disk's file is gone from both storage hosts (and no vblade exports it), `fabric volume list`
#         no longer shows it
#   Each check prints `lab: instance disk NAME-disk on pair lab (PATH)` for its instances: PATH is the volume file that
#   the instance's qemu was found to open.
#   --memory MIB        each guest's memory (default 128)
#   --count N           (launch) how many instances (default 10)
#   --downtime-ms MS    the appliance's Fabric:Instances:MigrationDowntimeMs (default: its own, 50)
#   --timeout SECONDS   give up waiting for a guest or a job (default 300)
#   --keep              leave the lab running until Ctrl-C at the end
#   --boot-dir DIR      the boot artifacts (default: netboot/build's output, built if needed)
#   --log-dir DIR       where to keep the servers' logs (default: a fresh temp dir)
# Output: lines "lab: ..." and one closing line "lab: result ok|failed|error after N.Ns: <reason>".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)

check=migrate memory=128 count=10 timeout=300 keep=0 boot_dir= log_dir= downtime=
while (($#)); do
	case "$1" in
	--check) check=$2; shift ;;
	--memory) memory=$2; shift ;;
	--count) count=$2; shift ;;
	--downtime-ms) downtime=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--keep) keep=1 ;;
	--boot-dir) boot_dir=$2; shift ;;
	--log-dir) log_dir=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "netboot/lab --scenario migrate: unknown option $1 (see --help)" >&2; exit 64 ;;
	esac
	shift
done
case "$check" in migrate | no-memory | kill-target | evacuate | launch | purge) ;; *)
	echo "netboot/lab --scenario migrate: --check migrate|no-memory|kill-target|evacuate|launch|purge" >&2; exit 64 ;;
esac
if ! [[ $memory =~ ^[0-9]+$ ]] || [ "$memory" -lt 64 ]; then echo "netboot/lab --scenario migrate: --memory is MiB, at least 64" >&2; exit 64; fi
if ! [[ $count =~ ^[0-9]+$ ]] || [ "$count" -lt 1 ] || [ "$count" -gt 40 ]; then echo "netboot/lab --scenario migrate: --count is 1-40" >&2; exit 64; fi
[ "$(id -u)" = 0 ] || { echo "netboot/lab: needs root (network namespaces)" >&2; exit 1; }
for tool in ovs-vsctl ovsdb-server ovs-vswitchd qemu-system-x86_64 socat ethtool sshd ping vblade; do
	command -v "$tool" >/dev/null || { echo "netboot/lab: $tool is missing (packages: openvswitch-switch qemu-system-x86 socat ethtool openssh-server iputils-ping vblade)" >&2; exit 1; }
done

t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
say() { echo "lab: [$(elapsed)s] $*"; }

if [ -z "$boot_dir" ]; then
	boot_dir=${Fabric__BootDir:-$repo/boot}
	"$here/build" "$boot_dir" | sed 's/^/lab: /'
fi
boot_dir=$(cd "$boot_dir" && pwd)
[ -f "$boot_dir/images/guest.img" ] || { echo "netboot/lab: $boot_dir/images/guest.img is missing (run netboot/build $boot_dir)" >&2; exit 1; }

id=$(printf '%04x' $((RANDOM % 65536)))
p=fmg-$id
sw=$p-sw cfg=$p-cfg hv0=$p-hv0 hv1=$p-hv1 st0=$p-st0 st1=$p-st1 pinger=$p-ping
work=$(mktemp -d "/tmp/fabric-mig-$id.XXXX")
[ -n "$log_dir" ] || log_dir=$work/logs
mkdir -p "$log_dir"
log_dir=$(cd "$log_dir" && pwd)
pids=()
namespaces=()

teardown() {
	local rc=$? n ns_pids f
	trap - EXIT INT TERM
	set +e # every step runs, whatever the one before it found
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
	# qemu (daemonized by Fabric over SSH), socat, ovs daemons: everything left in the lab's namespaces, by PID.
	for n in "${namespaces[@]}"; do
		ns_pids=$(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -z "$ns_pids" ] || kill $ns_pids 2>/dev/null || true
	done
	for f in "$work"/ovs-*/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	sleep 0.5
	for n in "${namespaces[@]}"; do
		ns_pids=$(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -z "$ns_pids" ] || kill -9 $ns_pids 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
	for f in "$work"/ovs-*/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
	wait 2>/dev/null || true
	# The volumes and images Fabric made on the storage hosts (their sshd folders, host keys and logs stay with the logs).
	rm -rf "$work/data" "$work"/stor*/volumes "$work"/stor*/images
	[ "$log_dir" = "$work/logs" ] || rm -rf "$work"
	exit "$rc"
}
trap teardown EXIT
trap 'echo; say "interrupted"; exit 130' INT TERM

# finish OUTCOME REASON: the closing line; exit 0 for ok.
finish() {
	if [ -n "${admin_token:-}" ]; then
		echo "lab: instances-json $(api GET /api/v1/instances 2>/dev/null | tr -d '\n')"
	fi
	if [ "$1" != ok ]; then
		# Where each switch believes every MAC is (the guest's port after a migration is the usual suspect).
		local h b
		for h in sw:trunk hv0:br0 hv1:br0; do
			b=${h#*:} h=${h%%:*}
			[ -d "$work/ovs-$h" ] || continue
			ovs-appctl -t "$work/ovs-$h/ovs-vswitchd.$(cat "$work/ovs-$h/vswitchd.pid" 2>/dev/null).ctl" fdb/show "$b" 2>&1 | sed "s/^/lab: fdb $h: /" || true
			vsctl "$h" show 2>&1 | grep -a 'Port\|tag\|trunks' | tr -s ' ' | tr '\n' ' ' | sed "s/^/lab: ports $h: /; s/\$/\n/" || true
		done
	fi
	echo "lab: result $1 after $(elapsed)s: $2"
	echo "lab: logs $log_dir"
	if [ "$keep" = 1 ]; then
		say "--keep: the lab stays up (namespaces ${namespaces[*]}); Ctrl-C to tear it down"
		while :; do sleep 3600; done
	fi
	[ "$1" = ok ] && exit 0
	exit 1
}

# --- namespaces and wires.
ns_add() { ip netns add "$1"; namespaces+=("$1"); ip -n "$1" link set lo up; }
for n in "$sw" "$cfg" "$hv0" "$hv1" "$st0" "$st1" "$pinger"; do ns_add "$n"; done
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 type bridge stp_state 0 forward_delay 0 2>/dev/null || true
ip -n "$sw" link set br0 up
# mgmt NS IP: NS's eth0 on the management bridge.
mgmt() {
	ip -n "$sw" link add "m-${1##*-}" type veth peer name eth0 netns "$1"
	ip -n "$sw" link set "m-${1##*-}" master br0 up
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" link set eth0 up
}
# ovs NAME NS BRIDGE: an Open vSwitch of its own (database and daemons in $work/ovs-NAME), bridge BRIDGE on the
# userspace datapath (the host kernel has no OVS module and no VLAN devices).
ovs() {
	local d=$work/ovs-$1
	mkdir -p "$d"
	(
		export OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d
		ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
		ovsdb-server -vconsole:off "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" --detach --log-file="$d/ovsdb.log" --no-chdir
		ovs-vsctl --db="unix:$d/db.sock" --no-wait init
		# A moved MAC (the guest after a migration) is re-learned within 100 ms rather than OVS's default 500 ms, as a
		# hardware switch does at once: the lab's switches should not be what a ping measures.
		ovs-vsctl --db="unix:$d/db.sock" --no-wait set Open_vSwitch . other_config:max-revalidator=100
		ip netns exec "$2" ovs-vswitchd -vconsole:off "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" --detach --log-file="$d/vswitchd.log" --no-chdir
		ovs-vsctl --db="unix:$d/db.sock" add-br "$3" -- set bridge "$3" datapath_type=netdev
	)
}
vsctl() { local d=$work/ovs-$1; shift; ovs-vsctl --db="unix:$d/db.sock" "$@"; }
# access NS IFACE IP PORT: NS's IFACE is an access port (VLAN 100) of the switch's OVS. OVS's userspace datapath does
# not complete checksums a veth leaves to offload (a DHCP OFFER would reach the guest with a bad UDP checksum): every
# host that talks to guests computes its own (tx offload off).
access() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$sw"
	ip -n "$sw" link set "$4" up
	vsctl sw add-port trunk "$4" tag=100
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
}
net=10.99.0 vnet=10.100.0
mgmt "$cfg" "$net.1"
mgmt "$hv0" "$net.20"
mgmt "$hv1" "$net.21"
mgmt "$st0" "$net.2"
mgmt "$st1" "$net.3"
ovs sw "$sw" trunk
ovs hv0 "$hv0" br0
ovs hv1 "$hv1" br0
for h in hv0 hv1; do
	ns=$p-$h
	ip link add uplink netns "$ns" type veth peer name "t-$h" netns "$sw"
	ip -n "$ns" link set uplink up
	ip -n "$sw" link set "t-$h" up
	vsctl "$h" add-port br0 uplink trunks=100,200
	vsctl sw add-port trunk "t-$h" trunks=100,200
done
access "$cfg" eth1 "$vnet.1" a-cfg
access "$pinger" eth0 "$vnet.50" a-ping
say "management $net.0/24 (appliance $net.1, st0 $net.2, st1 $net.3, hv0 $net.20, hv1 $net.21); VLAN 100 $vnet.0/24 (appliance $vnet.1, pinger $vnet.50) over OVS trunks"

# --- the appliance.
dll=$repo/src/Fabric.Appliance/bin/Release/net10.0/fabric-appliance.dll
cli_dll=$repo/src/Fabric.Cli/bin/Release/net10.0/fabric.dll
if [ ! -f "$cli_dll" ] || [ -n "$(find "$repo/src/Fabric.Cli" "$repo/src/Fabric.Api.Contracts" \( -name obj -o -name bin \) -prune -o -name '*.cs' -newer "$cli_dll" -print -quit)" ]; then
	say "building the fabric command line"
	dotnet build "$repo/src/Fabric.Cli" -c Release -nologo -v q >"$log_dir/build-cli.log" 2>&1 ||
		{ tail -20 "$log_dir/build-cli.log"; finish error "the fabric command line did not build"; }
fi
if [ ! -f "$dll" ] || [ -n "$(find "$repo/src" \( -name obj -o -name bin \) -prune -o -name '*.cs' -newer "$dll" -print -quit)" ]; then
	say "building the appliance"
	dotnet build "$repo/src/Fabric.Appliance" -c Release -nologo -v q >"$log_dir/build.log" 2>&1 ||
		{ tail -20 "$log_dir/build.log"; finish error "the appliance did not build"; }
fi
public_url=http://$net.1:8080
admin_token=lab-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
appliance_env=()
if [ -n "$downtime" ]; then
	[[ $downtime =~ ^[0-9]+$ ]] || finish error "--downtime-ms is a number of milliseconds"
	appliance_env=(Fabric__Instances__MigrationDowntimeMs="$downtime")
fi
if [ "$check" = kill-target ]; then
	# A migration that cannot finish before the target is killed: 1 MiB/s and a 1 ms downtime limit.
	appliance_env=(Fabric__Instances__MigrationBandwidthMiBps=1 Fabric__Instances__MigrationDowntimeMs=1)
fi
mkdir -p "$work/data"
ip netns exec "$cfg" env Fabric__DataDir="$work/data" Fabric__BootDir="$boot_dir" Fabric__PublicUrl="$public_url" \
	Fabric__AdminToken="$admin_token" Fabric__Dhcp__Interfaces__0=eth0 Fabric__Dhcp__Interfaces__1=eth1 \
	Fabric__Tftp__Endpoint="$net.1:69" ASPNETCORE_ENVIRONMENT=Production DOTNET_NOLOGO=1 "${appliance_env[@]}" \
	dotnet "$dll" --urls "$public_url" >"$log_dir/appliance.log" 2>&1 &
appliance_pid=$!
pids+=("$appliance_pid")
api() { # METHOD PATH [JSON]: prints the body; fails on HTTP >= 400.
	local out code
	out=$(ip netns exec "$cfg" curl -s -o "$work/api.out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $admin_token" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$public_url$2") || code=000
	code=${code:-$out}
	if [ "${code:0:1}" != 2 ]; then
		echo "lab: API $1 $2 -> HTTP $code: $(head -c 400 "$work/api.out" 2>/dev/null)" >&2
		return 1
	fi
	cat "$work/api.out"
}
fabric() { # the operator's command line on the appliance's host, its output unchanged
	ip netns exec "$cfg" env FABRIC_URL="$public_url" FABRIC_TOKEN="$admin_token" DOTNET_NOLOGO=1 dotnet "$cli_dll" "$@"
}
cli() { # fabric ARGS, each output line prefixed; fails with the command
	local out rc=0
	out=$(fabric "$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/lab:   /'
	return "$rc"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
for _ in $(seq 1 240); do
	ip netns exec "$cfg" curl -sf -o /dev/null "$public_url/healthz" && break
	kill -0 "$appliance_pid" 2>/dev/null || { tail -20 "$log_dir/appliance.log"; finish error "the appliance exited"; }
	sleep 0.5
done
say "appliance up at $public_url (DHCP on eth0 and eth1), log $log_dir/appliance.log"

say "operator: fabric network add lab ...; fabric network add v100 --cidr $vnet.0/24 --vlan 100 ..."
cli network add lab --cidr "$net.0/24" --gateway "$net.1" --pool-start "$net.100" --pool-end "$net.199" || finish error "registering network lab"
cli network add v100 --cidr "$vnet.0/24" --gateway "$vnet.1" --vlan 100 --pool-start "$vnet.100" --pool-end "$vnet.199" --lease-seconds 3600 ||
	finish error "registering network v100"
if ! fabric ssh-key > "$work/fabric.pub" 2>"$work/ssh-key.err" || ! grep -q '^[a-z]' "$work/fabric.pub"; then
	finish error "fabric ssh-key: $(head -c 300 "$work/ssh-key.err")"
fi

# --- sshd per host namespace (hypervisors and storage hosts), in its own mount namespace with a private /run (so
# /run/fabric belongs to that host alone: a hypervisor's instances, a storage host's vblade pid files); a hypervisor's
# sessions get OVS_RUNDIR, so Fabric's ovs-vsctl reaches that namespace's OVS. Root logs in with Fabric's key only.
start_sshd() { # NAME NS IP
	local d=$work/$1 o=$work/ovs-$1 ovs_env=
	mkdir -p "$d"
	cp "$work/fabric.pub" "$d/authorized_keys"
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$d/ssh_host_ed25519_key"
	[ -d "$o" ] && ovs_env="SetEnv OVS_RUNDIR=$o OVS_LOGDIR=$o OVS_DBDIR=$o"
	cat > "$d/sshd_config" <<-EOF
	ListenAddress $3
	Port 22
	HostKey $d/ssh_host_ed25519_key
	PidFile $d/sshd.pid
	AuthorizedKeysFile $d/authorized_keys
	PermitRootLogin prohibit-password
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	MaxStartups 100:30:200
	MaxSessions 100
	ClientAliveInterval 10
	Subsystem sftp internal-sftp
	$ovs_env
	LogLevel INFO
	EOF
	ip netns exec "$2" unshare -m --propagation private sh -c "
		mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/sshd /run/fabric &&
		exec /usr/sbin/sshd -D -e -f '$d/sshd_config'" >>"$log_dir/sshd-$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 50); do
		ip netns exec "$2" bash -c "exec 3<>/dev/tcp/$3/22" 2>/dev/null && break
		sleep 0.1
	done 2>/dev/null
}
host_key_of() { cut -d' ' -f1,2 "$work/$1/ssh_host_ed25519_key.pub"; }
mac_of() { ip -n "$1" -o link show eth0 | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/'; }

# --- the storage pair: storage nodes stor0 and stor1 of pair `lab`. Their volume and image folders are under the lab's
# work folder, not /srv/fabric: the hypervisors (other namespaces, one file system) open stor0's volume files by path.
for s in 0 1; do
	ns=$p-st$s ip=$net.$((2 + s))
	start_sshd "stor$s" "$ns" "$ip"
	say "operator: fabric node add stor$s --role storage --ip $ip --shelf $s --pair lab --ssh-host-key ... --storage-path $work/stor$s/volumes --image-path $work/stor$s/images"
	cli node add "stor$s" --mac "$(mac_of "$ns")" --role storage --ip "$ip" --network lab --shelf "$s" --pair lab \
		--ssh-host-key "$(host_key_of "stor$s")" --storage-path "$work/stor$s/volumes" --image-path "$work/stor$s/images" ||
		finish error "registering storage node stor$s"
done
say "operator: fabric image push guest --file $boot_dir/images/guest.img --pair lab --wait"
t_push=$(date +%s.%N)
cli image push guest --file "$boot_dir/images/guest.img" --pair lab --wait || finish error "pushing image guest to pair lab"
say "image guest on stor0 and stor1 after $(since "$t_push")s"

hv_memory=4096
[ "$check" = launch ] && hv_memory=$((count * memory + 1024))
for h in hv0 hv1; do
	ns=$p-$h ip=$net.20
	[ "$h" = hv1 ] && ip=$net.21
	start_sshd "$h" "$ns" "$ip"
	mem=$hv_memory
	# no-memory: hv1 cannot take the instance.
	[ "$check" = no-memory ] && [ "$h" = hv1 ] && mem=$((memory / 2))
	say "operator: fabric node add $h --role hardware --ip $ip --cpu-cores 2 --memory-mib $mem --ssh-host-key ... --label fabric.instances/switch=ovs --label fabric.instances/accelerator=tcg --label fabric.instances/disk=path"
	cli node add "$h" --mac "$(mac_of "$ns")" --role hardware --ip "$ip" --network lab --cpu-cores 2 --memory-mib "$mem" \
		--ssh-host-key "$(host_key_of "$h")" \
		--label fabric.instances/switch=ovs --label fabric.instances/accelerator=tcg --label fabric.instances/cpu-model=qemu64 \
		--label fabric.instances/disk=path ||
		finish error "registering hypervisor $h"
done

# --- helpers over instances.
ip_of() { echo "$vnet.$((10 + $1))"; } # instance number -> its address
create() { # NAME N [HV] [--wait]: `fabric instance create` with its disk made from image guest on pair lab
	local hv_opt=()
	[ -n "${3:-}" ] && hv_opt=(--hypervisor "$3")
	say "operator: fabric instance create $1 --vcpus 1 --memory-mib $memory --image guest --pair lab --network v100 --ip $(ip_of "$2") ${hv_opt[*]} ${4:-}"
	cli instance create "$1" --vcpus 1 --memory-mib "$memory" --image guest --pair lab --network v100 --ip "$(ip_of "$2")" \
		"${hv_opt[@]}" ${4:+"$4"}
}
field() { api GET "/api/v1/instances/$1" | json "d.get('$2') or ''"; }
# volume_file VOLUME NODE: the file of VOLUME's copy on storage node NODE, as the registry has it (empty when none).
volume_file() {
	api GET /api/v1/volumes | json "next((c['backingPath'] for v in d if v['name'] == '$1' for c in v.get('copies') or [] if c['node'] == '$2'), '')"
}
# qemu_opens NS NAME FILE: instance NAME's qemu in hypervisor namespace NS has FILE as its disk.
qemu_opens() {
	local pid
	pid=$(qemu_on "$1" "$2")
	[ -n "$pid" ] && tr '\0' '\n' < "/proc/$pid/cmdline" | grep -q "^file=$3,"
}
# disk_line NAME: prints `lab: instance disk NAME-disk on pair lab (PATH)`, PATH stor0's copy of the instance's volume;
# fails unless the registry has that volume on both storage hosts, both files exist, and the instance's qemu opens PATH.
disk_line() {
	local a b hv
	[ "$(field "$1" diskVolume)" = "$1-disk" ] || { say "$1's diskVolume is '$(field "$1" diskVolume)', not $1-disk"; return 1; }
	a=$(volume_file "$1-disk" stor0) b=$(volume_file "$1-disk" stor1)
	if [ -z "$a" ] || [ ! -f "$a" ] || [ -z "$b" ] || [ ! -f "$b" ]; then say "$1-disk: no file on stor0 ('$a') or stor1 ('$b')"; return 1; fi
	hv=$(field "$1" hypervisor)
	qemu_opens "$p-$hv" "$1" "$a" || { say "$1's qemu on $hv does not open $a"; return 1; }
	echo "lab: instance disk $1-disk on pair lab ($a)"
}
# qemu_on NS NAME: the pid of instance NAME's qemu in hypervisor namespace NS, if any.
qemu_on() {
	local pid
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q "^qemu-system-x86_64 -name guest=$2 " && { echo "$pid"; return 0; }
	done
	return 0
}
answers() { ip netns exec "$pinger" ping -c 1 -W 1 "$1" >/dev/null 2>&1; }
wait_ping() { # IP SECONDS
	local until=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt "$until" ]; do answers "$1" && return 0; sleep 1; done
	return 1
}
console() { fabric instance console "$1" 2>/dev/null | tr -d '\r' || true; }
last_uptime() { console "$1" | { grep -a '^guest: uptime ' || true; } | tail -1 | awk '{print $3}'; }
running_on() { # NAME HV: the registry says running on HV, a qemu runs in HV's namespace, none in the other's
	local other=hv0
	[ "$2" = hv0 ] && other=hv1
	[ "$(field "$1" state)" = running ] && [ "$(field "$1" hypervisor)" = "$2" ] &&
		[ -n "$(qemu_on "$p-$2" "$1")" ] && [ -z "$(qemu_on "$p-$other" "$1")" ]
}
job_of() { sed -n 's/^lab:   job \([0-9]*\) .*/\1/p' | head -1; }

# --- the checks.
case "$check" in
migrate | no-memory | kill-target | purge)
	create vm1 0 hv0 --wait || finish failed "creating vm1"
	ip1=$(ip_of 0)
	wait_ping "$ip1" "$timeout" || finish failed "vm1 never answered ping at $ip1; console: $(console vm1 | tail -3 | tr '\n' '|')"
	say "vm1 answers ping at $ip1 on $(field vm1 hypervisor) ($(console vm1 | grep -a 'has ' | tail -1))"
	disk_line vm1 || finish failed "vm1's disk is not the volume vm1-disk of pair lab"
	disk1=$(volume_file vm1-disk stor0)
	;;
esac

case "$check" in
migrate)
	ip netns exec "$pinger" ping -D -O -i 0.1 -W 1 "$ip1" > "$work/ping.log" 2>&1 &
	ping_pid=$!
	pids+=("$ping_pid")
	sleep 3
	before=$(last_uptime vm1)
	say "operator: fabric instance migrate vm1 --target hv1 --wait (guest uptime ${before:-?} s, pinging 10/s)"
	t_mig=$(date +%s.%N)
	cli instance migrate vm1 --target hv1 --wait | tee "$work/migrate.out" || finish failed "the migration failed: $(grep -a 'log \|error' "$work/migrate.out" | tail -2 | tr '\n' ' ')"
	t_back=$(date +%s.%N)
	echo "lab: migration wall-ms $(awk -v a="$t_mig" -v b="$t_back" 'BEGIN {printf "%d", (b - a) * 1000}')"
	sleep 3
	kill -INT "$ping_pid" 2>/dev/null || true
	wait "$ping_pid" 2>/dev/null || true
	# The pinger is stopped by SIGINT, which ends it at once: the replies to its last pings may still be on their way (on a
	# busy machine a TCG guest takes a while to answer), and ping counts them lost. So its last second (ten pings at -i
	# 0.1, or more time when it fell behind) is left out of both counts, like raw-qmp's `ping -c` that waits -W 1 for its
	# last reply; every earlier ping counts, answered when any reply to it arrived (a late one too, as ping counts it).
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$work/ping.log")
	counted=$((sent > 10 ? sent - 10 : 0))
	got=$({ grep -a ' bytes from ' "$work/ping.log" || true; } | sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' | sort -un | awk -v n="$counted" '$1 <= n' | wc -l)
	lost=$((counted - got))
	say "the pinger sent $sent pings; the last $((sent - counted)), still in flight when it was stopped, are not counted"
	echo "lab: migration lost $lost of $counted pings"
	if [ "$lost" -gt 0 ]; then
		say "no reply at all to icmp_seq $({ grep -a ' bytes from ' "$work/ping.log" || true; } | sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' | sort -un |
			awk -v n="$counted" '{seen[$1] = 1} END {for (i = 1; i <= n; i++) if (!(i in seen)) printf "%d ", i}')"
	fi
	sent=$counted
	# Which pings went unanswered (or late: ping -O says "no answer yet" when the next one leaves), against the moment
	# the job logged the migration completed (polled every 200 ms), else the migrate command's return.
	job=$(job_of < "$work/migrate.out")
	t_done=$(api GET "/api/v1/jobs/$job" | python3 -c '
import datetime, json, re, sys
log = [l for l in (json.load(sys.stdin).get("log") or []) if "migration completed" in l["line"]]
print(datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", log[-1]["at"])).timestamp() if log else "")' 2>/dev/null || true)
	from="the job's \"migration completed\""
	[ -n "$t_done" ] || { t_done=$t_back; from="the migrate command's return"; }
	{ grep -a 'no answer yet' "$work/ping.log" || true; } | sed 's/^\[\([0-9.]*\)\].*icmp_seq=\([0-9]*\).*/\1 \2/' | while read -r at seq; do
		say "no answer yet to icmp_seq=$seq sent $(awk -v a="$at" -v b="$t_done" 'BEGIN {printf "%+.2f", a - b}') s from $from"
	done
	figures=$(grep -a 'runs on hv1: total' "$work/migrate.out" | tail -1 || true)
	total=$(echo "$figures" | sed -n 's/.*total \([0-9]*\) ms.*/\1/p')
	down=$(echo "$figures" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')
	echo "lab: migration total-ms ${total:-?} downtime-ms ${down:-?}"
	after=$(last_uptime vm1)
	boots=$(console vm1 | grep -ac 'guest: booted' || true)
	say "guest uptime ${before:-?} s before, ${after:-?} s after on hv1; ${boots} boot lines in hv1's console"
	running_on vm1 hv1 || finish failed "vm1 is not running on hv1 alone (state $(field vm1 state), hypervisor $(field vm1 hypervisor), qemu on hv0: $(qemu_on "$hv0" vm1), on hv1: $(qemu_on "$hv1" vm1))"
	qemu_opens "$hv1" vm1 "$disk1" || finish failed "vm1's qemu on hv1 does not open its volume file $disk1"
	say "vm1's qemu on hv1 opens the same volume file, $disk1"
	answers "$ip1" || finish failed "vm1 does not answer ping after the migration"
	if [ -z "$before" ] || [ -z "$after" ] || ! awk -v a="$before" -v b="$after" 'BEGIN {exit !(b > a)}' || [ "$boots" != 0 ]; then
		finish failed "the guest's uptime did not keep counting (${before:-?} -> ${after:-?}, $boots boots)"
	fi
	[ "$lost" -le 1 ] || finish failed "$lost of $sent pings lost during the migration"
	finish ok "vm1 migrated hv0 -> hv1 live: $lost of $sent pings lost, total ${total:-?} ms, downtime ${down:-?} ms, uptime ${before}s -> ${after}s"
	;;
no-memory)
	say "operator: fabric instance migrate vm1 --target hv1 (hv1 has $((memory / 2)) MiB)"
	if out=$(fabric instance migrate vm1 --target hv1 2>&1); then
		echo "lab:   $out"
		finish failed "the migration to a hypervisor without the memory was accepted"
	fi
	echo "lab: refused $out"
	sleep 2
	[ -z "$(qemu_on "$hv1" vm1)" ] || finish failed "a qemu was started on hv1"
	running_on vm1 hv0 || finish failed "vm1 is not running on hv0 alone any more"
	answers "$ip1" || finish failed "vm1 stopped answering ping"
	finish ok "the migration was refused, nothing started on hv1, vm1 runs on hv0: $out"
	;;
kill-target)
	say "operator: fabric instance migrate vm1 --target hv1 (1 MiB/s, 1 ms downtime limit: slow on purpose)"
	out=$(cli instance migrate vm1 --target hv1) || finish failed "the migration was refused: $out"
	echo "$out"
	job=$(echo "$out" | job_of)
	[ -n "$job" ] || finish error "no job id in: $out"
	target_pid=
	for _ in $(seq 1 "$timeout"); do target_pid=$(qemu_on "$hv1" vm1); [ -n "$target_pid" ] && break; sleep 1; done
	[ -n "$target_pid" ] || finish failed "no target qemu appeared on hv1"
	# Let the RAM copy run a while (a few MiB at 1 MiB/s), then the target dies.
	for _ in $(seq 1 60); do
		api GET "/api/v1/jobs/$job" | json "(d.get('progress') or {}).get('done') or 0" 2>/dev/null | grep -q '^[1-9]' && break
		sleep 0.5
	done
	sleep 3
	sent=$(api GET "/api/v1/jobs/$job" | json "(d.get('progress') or {}).get('done') or 0")
	say "killing the target qemu (pid $target_pid) on hv1 during the migration ($sent bytes sent)"
	kill -9 "$target_pid"
	fabric job watch "$job" > "$work/job.out" 2>&1 && finish failed "the migration job succeeded after its target was killed"
	state=$(api GET "/api/v1/jobs/$job" | json "d['state']")
	reason=$(api GET "/api/v1/jobs/$job" | json "d.get('error') or ''")
	echo "lab: job $job $state: $reason"
	[ "$state" = failed ] || finish failed "job $job is $state, not failed"
	running_on vm1 hv0 || finish failed "vm1 is not running on hv0 alone after the failed migration"
	answers "$ip1" || finish failed "vm1 does not answer ping on hv0 after the failed migration"
	finish ok "the target died mid-migration; vm1 keeps running and answering on hv0; job $job failed: $reason"
	;;
evacuate)
	for i in 1 2 3; do create "vm$i" "$i" hv0 || finish failed "creating vm$i"; done
	for i in 1 2 3; do
		wait_ping "$(ip_of "$i")" "$timeout" || finish failed "vm$i never answered ping at $(ip_of "$i"); console: $(console "vm$i" | tail -3 | tr '\n' '|')"
	done
	say "vm1, vm2 and vm3 answer ping on hv0"
	for i in 1 2 3; do disk_line "vm$i" || finish failed "vm$i's disk is not the volume vm$i-disk of pair lab"; done
	say "operator: fabric node evacuate hv0 --wait"
	cli node evacuate hv0 --wait | tee "$work/evacuate.out" || finish failed "the evacuation failed: $(tail -3 "$work/evacuate.out" | tr '\n' ' ')"
	for i in 1 2 3; do
		running_on "vm$i" hv1 || finish failed "vm$i is not running on hv1 alone (state $(field "vm$i" state), hypervisor $(field "vm$i" hypervisor))"
		qemu_opens "$hv1" "vm$i" "$(volume_file "vm$i-disk" stor0)" || finish failed "vm$i's qemu on hv1 does not open its volume file"
		answers "$(ip_of "$i")" || finish failed "vm$i does not answer ping on hv1"
	done
	[ "$(api GET /api/v1/nodes/hv0 | json "d.get('labels', {}).get('fabric.instances/cordoned', '')")" = true ] ||
		finish failed "hv0 is not cordoned after its evacuation"
	finish ok "hv0 evacuated: vm1, vm2 and vm3 run and answer on hv1; hv0 is cordoned"
	;;
launch)
	say "operator: $count x fabric instance create, all at once"
	t_launch=$(date +%s.%N)
	launchers=()
	for i in $(seq 1 "$count"); do
		create "vm$i" "$i" > "$work/create-$i.out" 2>&1 &
		launchers+=($!)
	done
	for l in "${launchers[@]}"; do wait "$l" || finish failed "an instance create was refused: $(cat "$work"/create-*.out | grep -v '^lab: \[' | head -3)"; done
	say "all $count requests accepted after $(since "$t_launch")s"
	deadline=$(($(date +%s) + timeout))
	left=$(seq 1 "$count")
	while [ -n "$left" ]; do
		still=
		for i in $left; do answers "$(ip_of "$i")" || still="$still $i"; done
		left=$still
		[ -z "$left" ] && break
		[ "$(date +%s)" -lt "$deadline" ] || finish failed "instances$left did not answer ping within ${timeout}s"
		sleep 0.5
	done
	took=$(since "$t_launch")
	for i in $(seq 1 "$count"); do disk_line "vm$i" || finish failed "vm$i's disk is not the volume vm$i-disk of pair lab"; done
	on0=$(api GET /api/v1/instances | json "sum(1 for i in d if i.get('hypervisor') == 'hv0')")
	echo "lab: launch $count instances answer ping after $took s"
	finish ok "$count instances ($memory MiB) launched at once answer ping after ${took}s ($on0 on hv0, $((count - on0)) on hv1)"
	;;
purge)
	disk_b=$(volume_file vm1-disk stor1)
	say "operator: fabric instance stop vm1 --wait (the guest ignores ACPI power-off: qemu is quit after the stop's timeout)"
	cli instance stop vm1 --wait > "$work/stop.out" || { cat "$work/stop.out"; finish failed "stopping vm1"; }
	tail -1 "$work/stop.out"
	[ "$(field vm1 state)" = stopped ] || finish failed "vm1 is $(field vm1 state) after the stop, not stopped"
	[ -z "$(qemu_on "$hv0" vm1)" ] || finish failed "vm1's qemu still runs on hv0 after the stop"
	say "operator: fabric instance rm vm1 --purge-volume"
	out=$(cli instance rm vm1 --purge-volume) || finish failed "fabric instance rm vm1 --purge-volume refused: $out"
	echo "$out"
	job=$(echo "$out" | sed -n 's/.* job \([0-9]*\) queued.*/\1/p' | head -1)
	[ -n "$job" ] || finish error "no job id in: $out"
	say "operator: fabric job watch $job"
	cli job watch "$job" > "$work/purge.out" || { cat "$work/purge.out"; finish failed "the volume-remove job $job failed: $(api GET "/api/v1/jobs/$job" | json "d.get('error') or ''")"; }
	tail -1 "$work/purge.out"
	fabric instance show vm1 > /dev/null 2>&1 && finish failed "fabric instance show vm1 still finds it"
	left=
	for f in "$disk1" "$disk_b"; do [ -e "$f" ] && left="$left $f"; done
	[ -z "$left" ] || finish failed "the volume file is still there:$left"
	for n in "$st0" "$st1"; do
		for pid in $(ip netns pids "$n" 2>/dev/null); do
			tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q "vm1-disk" && finish failed "a process on $n still serves vm1-disk: $(tr '\0' ' ' < "/proc/$pid/cmdline")"
		done
	done
	fabric volume list > "$work/volumes.out" 2>&1 || finish error "fabric volume list: $(cat "$work/volumes.out")"
	grep -qw 'vm1-disk' "$work/volumes.out" && finish failed "fabric volume list still shows vm1-disk: $(grep -w vm1-disk "$work/volumes.out")"
	echo "lab: purge vm1-disk gone from stor0 ($disk1) and stor1 ($disk_b); fabric volume list does not show it"
	finish ok "vm1 stopped and removed with --purge-volume: job $job removed vm1-disk from both storage hosts"
	;;
esac
