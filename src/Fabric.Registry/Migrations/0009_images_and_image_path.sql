-- Version 9: root images pushed to storage pairs (recorded once both copies are complete), and the per-node folder a
-- storage node keeps its images in.
CREATE TABLE images (
  pair       TEXT NOT NULL,
  name       TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  pushed_at  INTEGER NOT NULL,
  PRIMARY KEY (pair, name)
);

ALTER TABLE node_fields ADD COLUMN image_path TEXT;
