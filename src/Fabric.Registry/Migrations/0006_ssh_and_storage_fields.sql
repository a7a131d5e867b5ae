-- Version 6: how Fabric reaches a node over SSH (every role, the host key pinned), and where a storage node keeps its
-- volumes and serves AoE.
ALTER TABLE node_fields ADD COLUMN ssh_address TEXT;
ALTER TABLE node_fields ADD COLUMN ssh_port INTEGER;
ALTER TABLE node_fields ADD COLUMN ssh_user TEXT;
ALTER TABLE node_fields ADD COLUMN ssh_host_key TEXT;
ALTER TABLE node_fields ADD COLUMN storage_path TEXT;
ALTER TABLE node_fields ADD COLUMN aoe_interface TEXT;
