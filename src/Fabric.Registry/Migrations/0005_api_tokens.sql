-- Version 5: named API tokens. Only the SHA-256 of each secret is kept; the secret is shown once, when made.
CREATE TABLE api_tokens (
  name         TEXT PRIMARY KEY COLLATE NOCASE,
  sha256       BLOB NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
