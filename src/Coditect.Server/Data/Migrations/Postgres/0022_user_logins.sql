-- 0022: OpenID Connect sign-in (issue 16). A user's identity at a configured provider (its name and the provider's
-- `sub`), linked at the first sign-in by a verified e-mail address (decisions.md). People, not organizations, own
-- these rows (as users and user_tokens): not tenant-owned, no RLS.
CREATE TABLE user_logins (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    provider character varying(40) NOT NULL,
    subject character varying(255) NOT NULL,
    email character varying(254) NOT NULL,
    last_sign_in_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_user_logins PRIMARY KEY (id),
    CONSTRAINT fk_user_logins_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_user_logins_provider_subject ON user_logins (provider, subject);
CREATE INDEX ix_user_logins_user_id ON user_logins (user_id);
