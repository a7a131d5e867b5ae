# shellcheck shell=bash
# netboot/lab --scenario router, before the appliance starts: the appliance's access port on VLAN 100, so Fabric's DHCP
# serves the public network pub100 there and the instance web100 takes its public address (203.0.113.10) and the
# router as its gateway (203.0.113.1, the network's gateway) from Fabric, as every instance does from its network. eth1
# in the appliance's namespace holds 203.0.113.2/24, an address of the VLAN that no instance has (the DHCP server picks
# the network by the address of the interface a request came in on); its peer a-cfg waits in the switch namespace until
# lab.d/router.sh plugs it into the lab's Open vSwitch as an access port tag=100. The appliance reaches nothing through
# the router from there: it is on VLAN 100's segment only for DHCP. (The benchmark, router-bench, has no instances and
# does without.)
# shellcheck disable=SC2154,SC2034 # $sw and $cfg are netboot/lab's; appliance_env is read by it
ip link add eth1 netns "$cfg" type veth peer name a-cfg netns "$sw"
ip -n "$cfg" addr add 203.0.113.2/24 dev eth1
ip -n "$cfg" link set eth1 up
ip -n "$sw" link set a-cfg up
# OVS's userspace datapath does not complete checksums a veth leaves to offload (a DHCP OFFER would reach the guest
# with a bad UDP checksum): the appliance computes its own on that port.
ip netns exec "$cfg" ethtool -K eth1 tx off >/dev/null 2>&1 || true
appliance_env+=(Fabric__Dhcp__Interfaces__1=eth1)
