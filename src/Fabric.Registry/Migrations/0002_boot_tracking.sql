-- Version 2: when a node entered its current state (boot timeouts, boot timings), and a per-node event index.
ALTER TABLE nodes ADD COLUMN state_changed_at INTEGER;
UPDATE nodes SET state_changed_at = updated_at;
CREATE INDEX ix_node_events_node ON node_events(node, id);
