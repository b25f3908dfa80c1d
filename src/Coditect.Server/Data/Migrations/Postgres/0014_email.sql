-- 0014: e-mail. Outgoing mail (a queue written in the transaction of the change it tells about), single-use tokens
-- mailed to people (password reset, address verification), and per-person e-mail preferences and verification.
-- Neither table is tenant-owned: this mail belongs to people, not organizations; no RLS.
ALTER TABLE users ADD COLUMN email_verified_at timestamp with time zone;
ALTER TABLE users ADD COLUMN muted_email_kinds character varying(1000) NOT NULL DEFAULT '[]';
UPDATE users SET email_verified_at = created_at; -- existing accounts count as verified (decisions.md)

CREATE TABLE outgoing_mail (
    id uuid NOT NULL,
    kind character varying(50) NOT NULL,
    to_address character varying(320) NOT NULL,
    subject character varying(300) NOT NULL,
    text_body text,
    html_body text,
    status character varying(20) NOT NULL,
    attempt_count integer NOT NULL,
    next_attempt_at timestamp with time zone,
    lease_until timestamp with time zone,
    claim_token uuid,
    last_error text,
    sent_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_outgoing_mail PRIMARY KEY (id)
);
CREATE INDEX ix_outgoing_mail_status_next_attempt_at ON outgoing_mail (status, next_attempt_at);

CREATE TABLE user_tokens (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    purpose character varying(30) NOT NULL,
    token_hash character varying(64) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_user_tokens PRIMARY KEY (id),
    CONSTRAINT fk_user_tokens_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_user_tokens_token_hash ON user_tokens (token_hash);
CREATE INDEX ix_user_tokens_user_id ON user_tokens (user_id);
