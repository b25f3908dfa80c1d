-- 0010: webhook endpoints, their deliveries (one per event and endpoint) and each delivery's attempts.
CREATE TABLE webhook_subscriptions (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    url character varying(2000) NOT NULL,
    description character varying(500) NOT NULL,
    event_types text NOT NULL,
    enabled boolean NOT NULL,
    disabled_reason character varying(500),
    secret bytea NOT NULL,
    previous_secret bytea,
    previous_secret_until timestamp with time zone,
    failing_since timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_webhook_subscriptions PRIMARY KEY (id),
    CONSTRAINT fk_webhook_subscriptions_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_subscriptions_tenant_id_created_at ON webhook_subscriptions (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id character varying(100) NOT NULL,
    event_type character varying(100) NOT NULL,
    payload text NOT NULL,
    status character varying(16) NOT NULL,
    attempt_count integer NOT NULL,
    next_attempt_at timestamp with time zone,
    lease_until timestamp with time zone,
    claim_token uuid,
    last_status_code integer,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
    CONSTRAINT fk_webhook_deliveries_webhook_subscriptions_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES webhook_subscriptions (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_webhook_deliveries_endpoint_id_event_id ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX ix_webhook_deliveries_endpoint_id_created_at ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX ix_webhook_deliveries_next_attempt_at ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    delivery_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    status_code integer,
    latency_ms integer NOT NULL,
    response character varying(1024),
    error character varying(500),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_webhook_attempts PRIMARY KEY (id),
    CONSTRAINT fk_webhook_attempts_webhook_deliveries_delivery_id FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_attempts_delivery_id_created_at ON webhook_attempts (delivery_id, created_at);

SELECT app_enable_tenant_rls('webhook_subscriptions');
SELECT app_enable_tenant_rls('webhook_deliveries');
SELECT app_enable_tenant_rls('webhook_attempts');
