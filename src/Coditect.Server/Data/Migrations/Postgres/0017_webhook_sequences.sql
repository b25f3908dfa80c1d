-- 0017: each endpoint numbers the events it is sent (the webhook-sequence header): the delivery keeps its number and
-- webhook_sequences the endpoint's last one, written only by the outbox fan-out in the transaction that queues the
-- deliveries. And the retention job's indexes: attempts and deliveries older than Webhooks:RetentionDays are deleted
-- by creation time.
ALTER TABLE webhook_deliveries ADD COLUMN sequence bigint;

CREATE TABLE webhook_sequences (
    endpoint_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    last_sequence bigint NOT NULL,
    CONSTRAINT pk_webhook_sequences PRIMARY KEY (endpoint_id),
    CONSTRAINT fk_webhook_sequences_webhook_subscriptions_endpoint_id FOREIGN KEY (endpoint_id) REFERENCES webhook_subscriptions (id) ON DELETE CASCADE
);

CREATE INDEX ix_webhook_deliveries_created_at ON webhook_deliveries (created_at);
CREATE INDEX ix_webhook_attempts_created_at ON webhook_attempts (created_at);

SELECT app_enable_tenant_rls('webhook_sequences');
