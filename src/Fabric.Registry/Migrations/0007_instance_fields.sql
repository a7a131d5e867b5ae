-- Version 7: an instance's image and its lifecycle state (src/Fabric.Instances). Instances recorded before start
-- out defined.
ALTER TABLE node_fields ADD COLUMN image TEXT;
ALTER TABLE node_fields ADD COLUMN instance_state TEXT;
UPDATE node_fields SET instance_state = 'defined' WHERE node_id IN (SELECT id FROM nodes WHERE role = 'instance');
