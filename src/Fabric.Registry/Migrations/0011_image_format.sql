-- Version 11: what each image is, detected by the appliance from the upload's first bytes: 'ext4' (AoE volumes) or
-- 'tar' (NFS roots). Images pushed before this version were ext4 images.
ALTER TABLE images ADD COLUMN format TEXT NOT NULL DEFAULT 'ext4' CHECK (format IN ('ext4', 'tar'));
