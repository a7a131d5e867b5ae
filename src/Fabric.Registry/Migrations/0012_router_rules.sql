-- Version 12: the operator's rules between instance networks. The router forwards nothing from one instance network to
-- another unless a rule here allows it: instances of from_network may open connections to the instances of to_network
-- (protocol '' is any protocol, port 0 any port; a port needs tcp or udp). Replies are allowed with the connection.
CREATE TABLE router_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    from_network TEXT    NOT NULL COLLATE NOCASE,
    to_network   TEXT    NOT NULL COLLATE NOCASE,
    protocol     TEXT    NOT NULL DEFAULT '',
    port         INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    UNIQUE (from_network, to_network, protocol, port)
);
