-- 0007: the web console. A user's security stamp (changed by a password change or reset: every console session
-- signed in before it ends), an organization's suspension by staff (separate from licence state), and the ASP.NET
-- Data Protection key ring that signs console cookies and antiforgery tokens, shared by every node and stored
-- encrypted under the master key (the key material inside each element).
ALTER TABLE users ADD COLUMN security_stamp character varying(32) NOT NULL DEFAULT '';
UPDATE users SET security_stamp = md5(random()::text || id::text);

ALTER TABLE organizations ADD COLUMN suspended_at timestamp with time zone;

CREATE TABLE data_protection_keys (
    id uuid NOT NULL,
    friendly_name character varying(100) NOT NULL,
    xml text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_data_protection_keys PRIMARY KEY (id)
);
