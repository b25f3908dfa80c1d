-- 0020: node-locked licences (issue 18 §3). A licence is floating (leases, as before) or node_locked: machines are
-- activated up to seats_total, each one a row of license_machines until it is deactivated. Activation counts under the
-- licence row's lock (FOR NO KEY UPDATE), as acquire does; the unique index keeps one row per licence and machine.
ALTER TABLE licenses ADD COLUMN type character varying(16) NOT NULL DEFAULT 'floating';

CREATE TABLE license_machines (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    license_id uuid NOT NULL,
    hardware_id character varying(256) NOT NULL,
    name character varying(200),
    platform character varying(100),
    last_seen_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_license_machines PRIMARY KEY (id),
    CONSTRAINT fk_license_machines_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_license_machines_license_id_hardware_id ON license_machines (license_id, hardware_id);
CREATE INDEX ix_license_machines_license_id_created_at ON license_machines (license_id, created_at);

SELECT app_enable_tenant_rls('license_machines');
