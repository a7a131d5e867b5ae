-- Version 10: a network's kind (boot, private or public; the router carries private and public networks on VLAN
-- sub-interfaces of its trunk), and a router's trunk and uplink interfaces (NULL: eth1 and eth2). Networks recorded
-- before kinds are boot networks.
ALTER TABLE networks ADD COLUMN kind TEXT NOT NULL DEFAULT 'boot';
ALTER TABLE node_fields ADD COLUMN trunk_interface TEXT;
ALTER TABLE node_fields ADD COLUMN uplink_interface TEXT;
