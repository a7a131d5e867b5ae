-- Version 13: images may be 'disk' images too (a boot sector: 0x55AA at byte 510), made into volumes for instances'
-- disks. SQLite cannot change a column's CHECK, so the table is copied into one whose CHECK allows it.
CREATE TABLE images_new (
  pair       TEXT NOT NULL,
  name       TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  pushed_at  INTEGER NOT NULL,
  format     TEXT NOT NULL DEFAULT 'ext4' CHECK (format IN ('ext4', 'tar', 'disk')),
  PRIMARY KEY (pair, name)
);
INSERT INTO images_new (pair, name, size_bytes, sha256, pushed_at, format)
  SELECT pair, name, size_bytes, sha256, pushed_at, format FROM images;
DROP TABLE images;
ALTER TABLE images_new RENAME TO images;
