# shellcheck shell=bash
# Hypervisors for a lab: network namespaces that Fabric drives over SSH as hardware nodes carrying instances. Sourced
# by a lab (netboot/lab.d/router.sh) that has $work (its scratch folder), $log_dir, the array pids (stopped by PID on
# exit) and the functions say, cli (the `fabric` command line, failing with it) and finish. The caller makes each
# hypervisor's namespace and its management interface (eth0, with the address Fabric reaches it at); this file gives it
# the rest, as netboot/lab.d/migrate.sh does for its own lab:
#
#   lab_ovs NAME NS BRIDGE    an Open vSwitch of its own (database and daemons in $work/ovs-NAME, run inside NS),
#                             bridge BRIDGE on the userspace datapath (the host kernel has no OVS module and no VLAN
#                             devices); a MAC that moves (a migrated guest) is re-learned within 100 ms
#   lab_vsctl NAME ARGS...    ovs-vsctl against switch NAME
#   hv_sshd NAME NS IP        OpenSSH sshd on IP:22 in NS with its own host key ($work/NAME), root with Fabric's key
#                             ($work/fabric.pub) only, in a mount namespace of its own with a private /run (so
#                             /run/fabric/instances belongs to that hypervisor alone); its sessions get OVS_RUNDIR, so
#                             Fabric's ovs-vsctl reaches that hypervisor's own switch
#   hv_uplink NAME NS SWITCH VLANS   veth `uplink` in NS, a trunk port (VLANS, e.g. 100,200) of NAME's OVS bridge br0;
#                             its peer t-NAME a trunk port of switch SWITCH (made with lab_ovs), in that switch's namespace
#   hv_register NAME NS IP NETWORK MEMORY_MIB   `fabric node add NAME --role hardware` with 2 cores, MEMORY_MIB, the
#                             pinned host key and the labels fabric.instances/switch=ovs, accelerator=tcg, cpu-model=qemu64
#   hypervisor NAME NS IP NETWORK SWITCH VLANS MEMORY_MIB   all of the above: OVS br0 in NS, sshd, uplink, registration
#   qemu_on NS INSTANCE       the pid of INSTANCE's qemu in namespace NS, if one runs there
# shellcheck disable=SC2154 # $work, $log_dir and pids are the sourcing lab's

declare -gA lab_ovs_ns=() lab_ovs_br=()

lab_ovs() { # NAME NS BRIDGE
	local d=$work/ovs-$1
	mkdir -p "$d"
	(
		export OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d
		ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema &&
			ip netns exec "$2" ovsdb-server -vconsole:off "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" \
				--detach --log-file="$d/ovsdb.log" --no-chdir &&
			ovs-vsctl --db="unix:$d/db.sock" --no-wait init &&
			ovs-vsctl --db="unix:$d/db.sock" --no-wait set Open_vSwitch . other_config:max-revalidator=100 &&
			ip netns exec "$2" ovs-vswitchd -vconsole:off "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" --detach \
				--log-file="$d/vswitchd.log" --no-chdir &&
			ovs-vsctl --db="unix:$d/db.sock" add-br "$3" -- set bridge "$3" datapath_type=netdev
	) || finish error "Open vSwitch $1 in $2 did not start (logs in $d)"
	pids+=("$(cat "$d/ovsdb.pid")" "$(cat "$d/vswitchd.pid")")
	lab_ovs_ns[$1]=$2 lab_ovs_br[$1]=$3
}

lab_vsctl() { # NAME ARGS...
	local d=$work/ovs-$1
	shift
	ovs-vsctl --db="unix:$d/db.sock" "$@"
}

hv_sshd() { # NAME NS IP
	local d=$work/$1 o=$work/ovs-$1
	mkdir -p "$d"
	cp "$work/fabric.pub" "$d/authorized_keys"
	[ -f "$d/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$d/ssh_host_ed25519_key"
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
	SetEnv OVS_RUNDIR=$o OVS_LOGDIR=$o OVS_DBDIR=$o
	LogLevel INFO
	EOF
	ip netns exec "$2" unshare -m --propagation private sh -c "
		mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/sshd /run/fabric &&
		exec /usr/sbin/sshd -D -e -f '$d/sshd_config'" >>"$log_dir/sshd-$1.log" 2>&1 &
	pids+=($!)
	local _
	for _ in $(seq 1 50); do
		ip netns exec "$2" bash -c "exec 3<>/dev/tcp/$3/22" 2>/dev/null && return 0
		sleep 0.1
	done 2>/dev/null
	finish error "sshd of hypervisor $1 does not listen on $3:22 (log $log_dir/sshd-$1.log)"
}

hv_uplink() { # NAME NS SWITCH VLANS
	local sw_ns=${lab_ovs_ns[$3]}
	ip link add uplink netns "$2" type veth peer name "t-$1" netns "$sw_ns"
	ip -n "$2" link set uplink up
	ip -n "$sw_ns" link set "t-$1" up
	lab_vsctl "$1" add-port br0 uplink trunks="$4"
	lab_vsctl "$3" add-port "${lab_ovs_br[$3]}" "t-$1" trunks="$4"
}

hv_register() { # NAME NS IP NETWORK MEMORY_MIB
	local mac
	mac=$(ip -n "$2" -o link show eth0 | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/')
	say "operator: fabric node add $1 --mac $mac --role hardware --ip $3 --network $4 --cpu-cores 2 --memory-mib $5 --ssh-host-key ... --label fabric.instances/switch=ovs --label fabric.instances/accelerator=tcg --label fabric.instances/cpu-model=qemu64"
	cli node add "$1" --mac "$mac" --role hardware --ip "$3" --network "$4" --cpu-cores 2 --memory-mib "$5" \
		--ssh-host-key "$(cut -d' ' -f1,2 "$work/$1/ssh_host_ed25519_key.pub")" \
		--label fabric.instances/switch=ovs --label fabric.instances/accelerator=tcg --label fabric.instances/cpu-model=qemu64 ||
		finish error "registering hypervisor $1"
}

hypervisor() { # NAME NS IP NETWORK SWITCH VLANS MEMORY_MIB
	lab_ovs "$1" "$2" br0
	hv_sshd "$1" "$2" "$3"
	hv_uplink "$1" "$2" "$5" "$6"
	hv_register "$1" "$2" "$3" "$4" "$7"
}

qemu_on() { # NS INSTANCE
	local pid
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q "^qemu-system-x86_64 -name guest=$2 " && { echo "$pid"; return 0; }
	done
	return 0
}
