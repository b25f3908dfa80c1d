-- 0016: usage metering (issue 14, flow 7). metered_hours: each licence's seat-hours (exact, from the leases' start and
-- end) and acquisitions per closed hour; meter_runs: the hours closed (one row per hour, for the whole server);
-- usage_reports: the meter events for Stripe, one per subscription, meter and hour, whose id is the event's identifier.
CREATE TABLE metered_hours (
    license_id uuid NOT NULL,
    hour timestamp with time zone NOT NULL,
    tenant_id uuid NOT NULL,
    seat_hours double precision NOT NULL,
    acquisitions integer NOT NULL,
    computed_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_metered_hours PRIMARY KEY (license_id, hour),
    CONSTRAINT fk_metered_hours_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);
CREATE INDEX ix_metered_hours_tenant_id_hour ON metered_hours (tenant_id, hour);

CREATE TABLE meter_runs (
    hour timestamp with time zone NOT NULL,
    computed_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_meter_runs PRIMARY KEY (hour)
);

CREATE TABLE usage_reports (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    subscription_id character varying(255) NOT NULL,
    customer_id character varying(255) NOT NULL,
    meter character varying(100) NOT NULL,
    hour timestamp with time zone NOT NULL,
    value bigint NOT NULL,
    reported_at timestamp with time zone,
    stripe_identifier character varying(100),
    last_error character varying(500),
    attempts integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_usage_reports PRIMARY KEY (id),
    CONSTRAINT fk_usage_reports_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_usage_reports_subscription_id_meter_hour ON usage_reports (subscription_id, meter, hour);
CREATE INDEX ix_usage_reports_reported_at_hour ON usage_reports (reported_at, hour);
CREATE INDEX ix_usage_reports_tenant_id_hour ON usage_reports (tenant_id, hour);

SELECT app_enable_tenant_rls('metered_hours');
SELECT app_enable_tenant_rls('usage_reports');
