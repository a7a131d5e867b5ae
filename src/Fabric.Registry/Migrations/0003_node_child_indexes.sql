-- Version 3: index the MAC table by node, so replacing or deleting a node's MACs does not scan every MAC.
CREATE INDEX ix_node_macs_node ON node_macs(node_id);
