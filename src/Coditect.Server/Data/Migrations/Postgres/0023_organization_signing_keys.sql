-- 0023: per-organization lease-token signing keys (issue 18, decisions.md "Licensing beyond the anchors"). A
-- `lease-token` key with an organization signs that organization's statements only; the keys without one are the
-- platform's, kept published for the tokens they signed until those expire. One current (unretired) key per
-- organization, enforced here so that two nodes creating an organization's first key at once cannot both win.
-- server_keys stays a platform table (no RLS): only the server reads it, and only public halves leave it.
ALTER TABLE server_keys ADD COLUMN organization_id uuid NULL;
ALTER TABLE server_keys ADD CONSTRAINT fk_server_keys_organizations_organization_id
    FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX ix_server_keys_purpose_organization_id ON server_keys (purpose, organization_id)
    WHERE organization_id IS NOT NULL AND retired_at IS NULL;
CREATE INDEX ix_server_keys_organization_id_created_at ON server_keys (organization_id, created_at);
