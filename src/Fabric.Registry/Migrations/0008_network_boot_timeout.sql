-- Version 8: a network's boot timeout (fabric.timeout on its nodes' kernel command lines); NULL keeps the
-- appliance's default (Fabric:Boot:TimeoutSeconds). A node's fabric.timeout label still wins.
ALTER TABLE networks ADD COLUMN boot_timeout_seconds INTEGER;
