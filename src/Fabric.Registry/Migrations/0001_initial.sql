-- Fabric registry, version 1: networks, nodes with their MACs, addresses, labels and role fields, and the event log.
CREATE TABLE networks (
  name          TEXT PRIMARY KEY,
  cidr          TEXT NOT NULL,
  gateway       TEXT,
  dns           TEXT NOT NULL DEFAULT '',
  pool_start    TEXT,
  pool_end      TEXT,
  vlan          INTEGER,
  lease_seconds INTEGER NOT NULL,
  serve_unknown INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

CREATE TABLE nodes (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL,
  state      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE node_macs (
  mac      TEXT PRIMARY KEY,
  node_id  INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  position INTEGER NOT NULL
);

CREATE TABLE node_ips (
  ip      TEXT PRIMARY KEY,
  node_id INTEGER NOT NULL UNIQUE REFERENCES nodes(id) ON DELETE CASCADE,
  network TEXT NOT NULL REFERENCES networks(name)
);

CREATE TABLE node_labels (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (node_id, key)
);

CREATE TABLE node_fields (
  node_id     INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
  cpu_cores   INTEGER,
  memory_mib  INTEGER,
  root        TEXT,
  pair        TEXT,
  aoe_shelf   INTEGER,
  volumes     TEXT,
  nfs_exports TEXT,
  vcpus       INTEGER,
  disk_volume TEXT,
  hypervisor  TEXT
);

CREATE TABLE node_events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  node    TEXT NOT NULL,
  at      INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  message TEXT NOT NULL,
  actor   TEXT NOT NULL
);
