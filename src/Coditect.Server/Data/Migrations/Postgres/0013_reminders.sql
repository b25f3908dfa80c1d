-- 0013: what the alert jobs (Notifications/Alerts) already told admins, so each alert goes once across restarts and
-- nodes: expiry reminders per licence, expiry date and threshold (30, 7, 1 days), and seats-exhausted announcements
-- per licence-hour, with the one that mailed per licence-day. Both are tenant tables under row-level security.
CREATE TABLE license_reminders (
    license_id uuid NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    threshold_days integer NOT NULL,
    tenant_id uuid NOT NULL,
    sent_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_license_reminders PRIMARY KEY (license_id, expires_at, threshold_days),
    CONSTRAINT fk_license_reminders_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);
CREATE INDEX ix_license_reminders_expires_at ON license_reminders (expires_at);

CREATE TABLE seat_alerts (
    license_id uuid NOT NULL,
    hour_start timestamp with time zone NOT NULL,
    tenant_id uuid NOT NULL,
    denials integer NOT NULL,
    announced_at timestamp with time zone NOT NULL,
    mailed_on timestamp with time zone,
    CONSTRAINT pk_seat_alerts PRIMARY KEY (license_id, hour_start),
    CONSTRAINT fk_seat_alerts_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_seat_alerts_license_id_mailed_on ON seat_alerts (license_id, mailed_on);

-- The seat alerts job reads the last two hours of every licence's usage.
CREATE INDEX ix_license_usage_hour_start ON license_usage (hour_start);

SELECT app_enable_tenant_rls('license_reminders');
SELECT app_enable_tenant_rls('seat_alerts');
