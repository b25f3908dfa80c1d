-- 0019: the fair seat queue (issue 14 §1). license_queue_tickets: machines waiting for a seat of a licence, in order
-- (seq); only the SHA-256 of a ticket is stored. A ticket lives while its holder polls (expires_at), and
-- holds an offered seat until offer_expires_at. license_usage counts the queue's denials and grants, and the waits.
CREATE TABLE license_queue_tickets (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    license_id uuid NOT NULL,
    seq bigint NOT NULL,
    ticket_hash character varying(64) NOT NULL,
    hardware_id character varying(256) NOT NULL,
    user_email character varying(254),
    client_hostname character varying(200),
    client_app_version character varying(100),
    client_os character varying(100),
    state character varying(16) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    offered_at timestamp with time zone,
    offer_expires_at timestamp with time zone,
    session_id uuid,
    ended_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_license_queue_tickets PRIMARY KEY (id),
    CONSTRAINT fk_license_queue_tickets_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_license_queue_tickets_ticket_hash ON license_queue_tickets (ticket_hash);
CREATE UNIQUE INDEX ux_license_queue_tickets_license_id_seq ON license_queue_tickets (license_id, seq);
CREATE INDEX ix_license_queue_tickets_open ON license_queue_tickets (state) WHERE state IN ('waiting', 'offered');
CREATE INDEX ix_license_queue_tickets_tenant_id_created_at ON license_queue_tickets (tenant_id, created_at);

ALTER TABLE license_usage ADD COLUMN queue_denials integer NOT NULL DEFAULT 0;
ALTER TABLE license_usage ADD COLUMN queue_grants integer NOT NULL DEFAULT 0;
ALTER TABLE license_usage ADD COLUMN queue_wait_seconds bigint NOT NULL DEFAULT 0;

SELECT app_enable_tenant_rls('license_queue_tickets');
