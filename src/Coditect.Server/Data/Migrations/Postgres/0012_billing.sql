-- 0012: billing. One billing account per organization (its plan, period, trial and provider ids; its row is the
-- organization's quota lock), and the licences billing manages (managed_by = 'billing').
CREATE TABLE billing_accounts (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    plan character varying(32),
    status character varying(16) NOT NULL,
    seats integer NOT NULL,
    period_end timestamp with time zone,
    trial_started_at timestamp with time zone,
    trial_ends_at timestamp with time zone,
    cancel_at_period_end boolean NOT NULL,
    past_due_since timestamp with time zone,
    customer_id character varying(255),
    subscription_id character varying(255),
    product_license_id uuid,
    stripe_state_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_billing_accounts PRIMARY KEY (id),
    CONSTRAINT fk_billing_accounts_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_billing_accounts_tenant_id ON billing_accounts (tenant_id);

-- Stripe events applied, by Stripe's event id: each is applied once, whichever node receives it.
CREATE TABLE billing_events (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    event_id character varying(255) NOT NULL,
    type character varying(100) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_billing_events PRIMARY KEY (id),
    CONSTRAINT fk_billing_events_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_billing_events_event_id ON billing_events (event_id);
CREATE INDEX ix_billing_events_tenant_id_type_occurred_at ON billing_events (tenant_id, type, occurred_at);

SELECT app_enable_tenant_rls('billing_accounts');
SELECT app_enable_tenant_rls('billing_events');

ALTER TABLE licenses ADD COLUMN managed_by character varying(16);
