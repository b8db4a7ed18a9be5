namespace Tollgate.Storage;

/// <summary>Every schema change, in order. Never edit a released migration: add a new one.</summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "core records", """
            CREATE TABLE customers (
                id text PRIMARY KEY,
                external_id text UNIQUE,
                name text NOT NULL,
                email text,
                country text,
                currency text NOT NULL,
                metadata {json} NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                deleted_at {ts}
            );
            CREATE INDEX ix_customers_email ON customers (email);

            CREATE TABLE members (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                email text NOT NULL,
                name text,
                role text NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                UNIQUE (customer_id, email)
            );

            CREATE TABLE invitations (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                email text NOT NULL,
                role text NOT NULL,
                token_hash text NOT NULL UNIQUE,
                status text NOT NULL,
                expires_at {ts} NOT NULL,
                created_at {ts} NOT NULL,
                accepted_at {ts},
                member_id text REFERENCES members (id)
            );
            CREATE INDEX ix_invitations_customer ON invitations (customer_id);

            CREATE TABLE features (
                id text PRIMARY KEY,
                code text NOT NULL UNIQUE,
                name text NOT NULL,
                description text,
                type text NOT NULL,
                unit text,
                metric_code text,
                reset_period text,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );

            CREATE TABLE metrics (
                id text PRIMARY KEY,
                code text NOT NULL UNIQUE,
                name text NOT NULL,
                description text,
                aggregation text NOT NULL,
                field text,
                filters {json} NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );

            CREATE TABLE plans (
                id text PRIMARY KEY,
                code text NOT NULL UNIQUE,
                name text NOT NULL,
                description text,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                archived_at {ts}
            );

            CREATE TABLE plan_versions (
                id text PRIMARY KEY,
                plan_id text NOT NULL REFERENCES plans (id),
                version integer NOT NULL,
                status text NOT NULL,
                trial_days integer NOT NULL,
                created_at {ts} NOT NULL,
                published_at {ts},
                UNIQUE (plan_id, version)
            );

            CREATE TABLE plan_prices (
                plan_version_id text NOT NULL REFERENCES plan_versions (id),
                billing_interval text NOT NULL,
                currency text NOT NULL,
                amount_minor {bigint} NOT NULL,
                PRIMARY KEY (plan_version_id, billing_interval, currency)
            );

            CREATE TABLE plan_entitlements (
                plan_version_id text NOT NULL REFERENCES plan_versions (id),
                feature_id text NOT NULL REFERENCES features (id),
                enabled {bool} NOT NULL,
                limit_value {bigint},
                enforcement text NOT NULL,
                PRIMARY KEY (plan_version_id, feature_id)
            );

            CREATE TABLE plan_charges (
                plan_version_id text NOT NULL REFERENCES plan_versions (id),
                metric_id text NOT NULL REFERENCES metrics (id),
                currency text NOT NULL,
                model text NOT NULL,
                properties {json} NOT NULL,
                PRIMARY KEY (plan_version_id, metric_id, currency)
            );

            CREATE TABLE api_keys (
                id text PRIMARY KEY,
                kind text NOT NULL,
                mode text NOT NULL,
                customer_id text REFERENCES customers (id),
                name text NOT NULL,
                description text,
                display_prefix text NOT NULL,
                last_four text NOT NULL,
                key_hash text NOT NULL UNIQUE,
                scopes {json} NOT NULL,
                expires_at {ts},
                revoked_at {ts},
                last_used_at {ts},
                rotated_from text,
                created_by text,
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_api_keys_customer ON api_keys (customer_id);

            CREATE TABLE audit_log (
                id text PRIMARY KEY,
                actor_type text NOT NULL,
                actor_id text,
                action text NOT NULL,
                resource_type text NOT NULL,
                resource_id text NOT NULL,
                customer_id text,
                before_state {json},
                after_state {json},
                request_id text,
                occurred_at {ts} NOT NULL
            );
            CREATE INDEX ix_audit_log_resource ON audit_log (resource_id);
            CREATE INDEX ix_audit_log_customer ON audit_log (customer_id);

            CREATE TABLE idempotency_keys (
                scope text NOT NULL,
                idempotency_key text NOT NULL,
                request_hash text NOT NULL,
                status text NOT NULL,
                response_status integer,
                response_content_type text,
                response_body text,
                created_at {ts} NOT NULL,
                PRIMARY KEY (scope, idempotency_key)
            );
            CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
            """),
        new(2, "gateway", """
            ALTER TABLE customers ADD COLUMN plan_code text;

            CREATE TABLE usage_records (
                id text PRIMARY KEY,
                customer_id text,
                key_id text NOT NULL,
                mode text NOT NULL,
                end_user text,
                operation text NOT NULL,
                requested_model text NOT NULL,
                served_model text,
                provider text,
                input_tokens {bigint} NOT NULL,
                output_tokens {bigint} NOT NULL,
                cached_tokens {bigint} NOT NULL,
                cache_write_tokens {bigint} NOT NULL,
                reasoning_tokens {bigint} NOT NULL,
                images integer NOT NULL,
                status text NOT NULL,
                http_status integer NOT NULL,
                error_code text,
                streamed {bool} NOT NULL,
                usage_estimated {bool} NOT NULL,
                cache_hit {bool} NOT NULL,
                attempts integer NOT NULL,
                latency_ms {bigint} NOT NULL,
                time_to_first_token_ms {bigint},
                cost_nanos {bigint} NOT NULL,
                charge_nanos {bigint} NOT NULL,
                price_version text NOT NULL,
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_usage_records_customer ON usage_records (customer_id, created_at);

            CREATE TABLE gateway_providers (
                name text PRIMARY KEY,
                kind text NOT NULL,
                base_url text NOT NULL,
                api_key_ciphertext text,
                api_key_last_four text,
                timeout_seconds integer NOT NULL,
                headers {json} NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );

            CREATE TABLE gateway_models (
                alias text PRIMARY KEY,
                type text NOT NULL,
                feature text,
                deployments {json} NOT NULL,
                fallbacks {json} NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            """),
        new(3, "metering events", """
            ALTER TABLE metrics ADD COLUMN event_code text;

            CREATE TABLE events (
                id text PRIMARY KEY,
                customer_id text NOT NULL,
                idempotency_key text NOT NULL,
                code text NOT NULL,
                occurred_at {ts} NOT NULL,
                properties {json} NOT NULL,
                source text NOT NULL,
                key_id text,
                received_at {ts} NOT NULL
            );
            CREATE UNIQUE INDEX ux_events_idempotency ON events (customer_id, idempotency_key);
            CREATE INDEX ix_events_customer_code_time ON events (customer_id, code, occurred_at);
            """),
        new(4, "entitlements and quotas", """
            CREATE TABLE entitlement_overrides (
                customer_id text NOT NULL REFERENCES customers (id),
                feature_id text NOT NULL REFERENCES features (id),
                enabled {bool},
                limit_value {bigint},
                unlimited {bool} NOT NULL,
                enforcement text,
                note text,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                PRIMARY KEY (customer_id, feature_id)
            );

            CREATE TABLE quota_counters (
                customer_id text NOT NULL,
                feature_code text NOT NULL,
                period_start {ts} NOT NULL,
                allocated {bigint} NOT NULL,
                updated_at {ts} NOT NULL,
                PRIMARY KEY (customer_id, feature_code, period_start)
            );
            """),
        new(5, "limits, budgets and alerts", """
            ALTER TABLE quota_counters RENAME TO counters;
            ALTER TABLE counters RENAME COLUMN customer_id TO subject;
            ALTER TABLE counters RENAME COLUMN feature_code TO counter;
            ALTER TABLE counters ADD COLUMN expires_at {ts};
            CREATE INDEX ix_counters_expires ON counters (expires_at);
            CREATE INDEX ix_usage_records_key ON usage_records (key_id, created_at);

            CREATE TABLE limits (
                id text PRIMARY KEY,
                scope text NOT NULL,
                target text NOT NULL,
                per text NOT NULL,
                measure text NOT NULL,
                amount {bigint} NOT NULL,
                window_size text,
                anchored {bool} NOT NULL,
                enforcement text NOT NULL,
                thresholds {json} NOT NULL,
                description text,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE INDEX ix_limits_target ON limits (scope, target);

            CREATE TABLE threshold_alerts (
                subject text NOT NULL,
                counter text NOT NULL,
                period_start {ts} NOT NULL,
                threshold integer NOT NULL,
                customer_id text,
                fired_at {ts} NOT NULL,
                PRIMARY KEY (subject, counter, period_start, threshold)
            );

            CREATE TABLE outbox (
                id text PRIMARY KEY,
                type text NOT NULL,
                customer_id text,
                payload {json} NOT NULL,
                created_at {ts} NOT NULL,
                delivered_at {ts}
            );
            CREATE INDEX ix_outbox_pending ON outbox (delivered_at, created_at);
            CREATE INDEX ix_outbox_customer ON outbox (customer_id, id);
            """),
        new(6, "grants and top-ups", """
            CREATE TABLE grants (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                feature text NOT NULL,
                kind text NOT NULL,
                amount {bigint} NOT NULL,
                effective_at {ts} NOT NULL,
                expires_at {ts},
                voided_at {ts},
                reference text,
                note text,
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_grants_customer ON grants (customer_id, created_at);
            CREATE UNIQUE INDEX ux_grants_reference ON grants (customer_id, reference) WHERE reference IS NOT NULL;
            """),
        new(7, "nodes and what they hold of counters in flight", """
            CREATE TABLE nodes (
                id text PRIMARY KEY,
                started_at {ts} NOT NULL,
                heartbeat_at {ts} NOT NULL
            );
            CREATE TABLE counter_holds (
                subject text NOT NULL,
                counter text NOT NULL,
                period_start {ts} NOT NULL,
                node text NOT NULL,
                units {bigint} NOT NULL,
                PRIMARY KEY (subject, counter, period_start, node)
            );
            CREATE INDEX ix_counter_holds_node ON counter_holds (node);
            """),
        // An event's own key is far more varied than its customer's id: put first, it settles most comparisons in the
        // index at once, and each insert into it costs a fifth less.
        new(8, "events find a key before its customer", """
            DROP INDEX ux_events_idempotency;
            CREATE UNIQUE INDEX ux_events_idempotency ON events (idempotency_key, customer_id);
            """),
        // SQLite compares text byte by byte already. PostgreSQL's default collation costs a fifth of each event insert
        // in its three indexes, and ids, keys and codes have no language to sort by. Usage records follow, so that
        // joins between the two (reconciliation) compare alike and can use either table's index.
        new(9, "events and usage records compare ids, keys and codes byte by byte", """
            ALTER TABLE events
                ALTER COLUMN id TYPE text COLLATE "C",
                ALTER COLUMN customer_id TYPE text COLLATE "C",
                ALTER COLUMN idempotency_key TYPE text COLLATE "C",
                ALTER COLUMN code TYPE text COLLATE "C";
            ALTER TABLE usage_records
                ALTER COLUMN id TYPE text COLLATE "C",
                ALTER COLUMN customer_id TYPE text COLLATE "C";
            """, DatabaseKind.Postgres),
        // Each claim gets a token that the handler's own transaction checks before committing, and stored answers are
        // sealed from now on: answers kept in plaintext before (which may hold a key's secret) are dropped, and their
        // keys stay taken, so a retry is refused rather than run twice.
        new(10, "idempotency claims commit with their request, and answers are sealed", """
            ALTER TABLE idempotency_keys ADD COLUMN claim_token text;
            UPDATE idempotency_keys SET status = 'applied', response_body = NULL WHERE status = 'completed';
            """),
        new(11, "metrics say whether events may lower them", """
            ALTER TABLE metrics ADD COLUMN allow_negative {bool} NOT NULL DEFAULT FALSE;
            """),
        // Gateway usage is stored once, as usage records; its events are read from them (GatewayEventSource), so the
        // copies written beside them until now go. The code was reserved to the gateway, so no other event has it.
        new(12, "gateway events are read from usage records, not copied", """
            DELETE FROM events WHERE code = 'gateway';
            """),
        // A customer's plan follows its subscriptions: plan_code and plan_version are set from them, in the same
        // transaction as each change (the version pinned, so a new version of the plan does not move existing customers).
        new(13, "subscriptions and invoices", """
            ALTER TABLE customers ADD COLUMN plan_version integer;
            ALTER TABLE customers ADD COLUMN region text;
            ALTER TABLE customers ADD COLUMN tax_id text;
            ALTER TABLE customers ADD COLUMN tax_exempt {bool} NOT NULL DEFAULT FALSE;

            CREATE TABLE coupons (
                id text PRIMARY KEY,
                code text NOT NULL UNIQUE,
                percent_off text,
                amount_off {bigint},
                currency text,
                duration text NOT NULL,
                duration_in_months integer,
                max_redemptions {bigint},
                times_redeemed {bigint} NOT NULL,
                redeem_by {ts},
                created_at {ts} NOT NULL,
                archived_at {ts}
            );

            CREATE TABLE tax_rates (
                id text PRIMARY KEY,
                code text NOT NULL,
                country text NOT NULL,
                region text,
                percentage text NOT NULL,
                inclusive {bool} NOT NULL,
                created_at {ts} NOT NULL,
                archived_at {ts}
            );

            CREATE TABLE subscriptions (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                plan_code text NOT NULL,
                plan_version integer NOT NULL,
                billing_interval text NOT NULL,
                currency text NOT NULL,
                quantity {bigint} NOT NULL,
                unit_amount {bigint} NOT NULL,
                status text NOT NULL,
                billing_anchor {ts} NOT NULL,
                current_period_start {ts} NOT NULL,
                current_period_end {ts} NOT NULL,
                trial_end {ts},
                trial_will_end_sent {bool} NOT NULL DEFAULT FALSE,
                cancel_at_period_end {bool} NOT NULL,
                cancel_reason text,
                canceled_at {ts},
                ended_at {ts},
                pending_change {json},
                discount {json},
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE INDEX ix_subscriptions_customer ON subscriptions (customer_id, id);
            CREATE INDEX ix_subscriptions_due ON subscriptions (current_period_end);

            CREATE TABLE invoices (
                id text PRIMARY KEY,
                number text UNIQUE,
                customer_id text NOT NULL REFERENCES customers (id),
                subscription_id text REFERENCES subscriptions (id),
                billing_key text UNIQUE,
                status text NOT NULL,
                billing_reason text NOT NULL,
                currency text NOT NULL,
                period_start {ts} NOT NULL,
                period_end {ts} NOT NULL,
                subtotal {bigint} NOT NULL,
                discount {bigint} NOT NULL,
                tax {bigint} NOT NULL,
                taxes {json} NOT NULL,
                tax_note text,
                discount_code text,
                total {bigint} NOT NULL,
                credits_applied {bigint} NOT NULL,
                amount_due {bigint} NOT NULL,
                amount_paid {bigint} NOT NULL,
                payment_attempts integer NOT NULL DEFAULT 0,
                next_payment_attempt {ts},
                created_at {ts} NOT NULL,
                finalized_at {ts},
                paid_at {ts},
                voided_at {ts},
                marked_uncollectible_at {ts}
            );
            CREATE INDEX ix_invoices_customer ON invoices (customer_id, id);
            CREATE INDEX ix_invoices_subscription ON invoices (subscription_id, id);

            CREATE TABLE invoice_lines (
                invoice_id text NOT NULL REFERENCES invoices (id),
                position integer NOT NULL,
                kind text NOT NULL,
                description text NOT NULL,
                metric text,
                detail text,
                period_start {ts} NOT NULL,
                period_end {ts} NOT NULL,
                quantity text NOT NULL,
                unit_amount text,
                amount {bigint} NOT NULL,
                PRIMARY KEY (invoice_id, position)
            );

            CREATE TABLE invoice_numbers (
                prefix text PRIMARY KEY,
                next_number {bigint} NOT NULL
            );

            CREATE TABLE credit_notes (
                id text PRIMARY KEY,
                number text NOT NULL UNIQUE,
                invoice_id text NOT NULL REFERENCES invoices (id),
                customer_id text NOT NULL REFERENCES customers (id),
                currency text NOT NULL,
                reason text,
                subtotal {bigint} NOT NULL,
                tax {bigint} NOT NULL,
                total {bigint} NOT NULL,
                applied_to_invoice {bigint} NOT NULL,
                credited_to_balance {bigint} NOT NULL,
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_credit_notes_invoice ON credit_notes (invoice_id);

            CREATE TABLE credit_note_lines (
                credit_note_id text NOT NULL REFERENCES credit_notes (id),
                invoice_line integer NOT NULL,
                amount {bigint} NOT NULL,
                PRIMARY KEY (credit_note_id, invoice_line)
            );

            CREATE TABLE wallets (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                currency text NOT NULL,
                name text,
                priority integer NOT NULL,
                expires_at {ts},
                low_balance_threshold {bigint},
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_wallets_customer ON wallets (customer_id, currency);

            CREATE TABLE wallet_transactions (
                id text PRIMARY KEY,
                wallet_id text NOT NULL REFERENCES wallets (id),
                kind text NOT NULL,
                amount {bigint} NOT NULL,
                invoice_id text REFERENCES invoices (id),
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_wallet_transactions_wallet ON wallet_transactions (wallet_id, created_at);

            CREATE TABLE pending_invoice_items (
                id text PRIMARY KEY,
                subscription_id text NOT NULL REFERENCES subscriptions (id),
                kind text NOT NULL,
                description text NOT NULL,
                period_start {ts} NOT NULL,
                period_end {ts} NOT NULL,
                quantity {bigint} NOT NULL,
                unit_amount {bigint} NOT NULL,
                amount {bigint} NOT NULL,
                invoice_id text REFERENCES invoices (id),
                billed_at {ts},
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_pending_invoice_items_subscription ON pending_invoice_items (subscription_id, billed_at);

            CREATE TABLE balance_transactions (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                currency text NOT NULL,
                amount {bigint} NOT NULL,
                description text NOT NULL,
                invoice_id text REFERENCES invoices (id),
                created_at {ts} NOT NULL
            );
            CREATE INDEX ix_balance_transactions_customer ON balance_transactions (customer_id, currency);
            """),
        new(14, "test clocks and paused subscriptions", """
            CREATE TABLE test_clocks (
                id text PRIMARY KEY,
                name text,
                frozen_time {ts} NOT NULL,
                status text NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            ALTER TABLE customers ADD COLUMN test_clock_id text REFERENCES test_clocks (id);
            ALTER TABLE subscriptions ADD COLUMN test_clock_id text;
            ALTER TABLE subscriptions ADD COLUMN pause_at_period_end {bool} NOT NULL DEFAULT FALSE;
            ALTER TABLE subscriptions ADD COLUMN paused_at {ts};
            ALTER TABLE subscriptions ADD COLUMN resumes_at {ts};
            ALTER TABLE invoices ADD COLUMN test_clock_id text;
            CREATE INDEX ix_subscriptions_test_clock ON subscriptions (test_clock_id, current_period_end);
            CREATE INDEX ix_invoices_dunning ON invoices (next_payment_attempt);
            """),
        // A customer's plans over time, so that a quota of a period the plan changed in is each plan's share of it, and
        // the instant a plan change made now split a subscription's period: the usage before it is billed under the old plan.
        new(15, "plan history and split usage periods", """
            CREATE TABLE customer_plans (
                customer_id text NOT NULL REFERENCES customers (id),
                since {ts} NOT NULL,
                plan_code text,
                plan_version integer,
                PRIMARY KEY (customer_id, since)
            );
            ALTER TABLE subscriptions ADD COLUMN usage_from {ts};
            ALTER TABLE pending_invoice_items ADD COLUMN line text;
            ALTER TABLE plan_prices ADD COLUMN minimum_amount {bigint};
            """),
        // The subscriptions an invoice run bills, in the order it bills them: only those still billed (canceled and
        // paused ones keep a past period end forever), so finding the next page reads that page, not every one before.
        new(16, "billable subscriptions by period end", """
            CREATE INDEX ix_subscriptions_billable ON subscriptions (test_clock_id, current_period_end, id)
                WHERE status IN ('trialing', 'active', 'past_due');
            """),
        // Usage billed as it accrues (charges paid in advance): what each invoice billed of a charge's usage in one
        // usage window of a subscription, so that the next bills only what has accrued since and the window's end only the rest.
        new(17, "usage billed in advance", """
            CREATE TABLE advance_usage_bills (
                invoice_id text NOT NULL REFERENCES invoices (id),
                metric text NOT NULL,
                subscription_id text NOT NULL REFERENCES subscriptions (id),
                window_start {ts} NOT NULL,
                amount {bigint} NOT NULL,
                PRIMARY KEY (invoice_id, metric)
            );
            CREATE INDEX ix_advance_usage_bills_window ON advance_usage_bills (subscription_id, window_start);
            """),
        // Payments: which provider serves each customer and its ids there, checkouts, payments and refunds, the
        // provider events applied (recorded with their effect, so a redelivery changes nothing) and the charges made.
        new(18, "payments", """
            CREATE TABLE payment_accounts (
                customer_id text PRIMARY KEY REFERENCES customers (id),
                provider text NOT NULL,
                provider_customer_id text,
                payment_method text,
                chosen_by text NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE UNIQUE INDEX ux_payment_accounts_provider_customer ON payment_accounts (provider, provider_customer_id);

            CREATE TABLE checkout_sessions (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                provider text NOT NULL,
                provider_session_id text,
                plan text NOT NULL,
                interval text NOT NULL,
                currency text NOT NULL,
                quantity {bigint} NOT NULL,
                subscription_id text REFERENCES subscriptions (id),
                invoice_id text REFERENCES invoices (id),
                amount {bigint} NOT NULL,
                url text,
                success_url text NOT NULL,
                cancel_url text NOT NULL,
                status text NOT NULL,
                expires_at {ts} NOT NULL,
                created_at {ts} NOT NULL,
                completed_at {ts}
            );
            CREATE UNIQUE INDEX ux_checkout_sessions_provider ON checkout_sessions (provider, provider_session_id);
            CREATE INDEX ix_checkout_sessions_customer ON checkout_sessions (customer_id, id);

            CREATE TABLE payments (
                id text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                invoice_id text REFERENCES invoices (id),
                provider text NOT NULL,
                provider_payment_id text NOT NULL,
                amount {bigint} NOT NULL,
                currency text NOT NULL,
                amount_refunded {bigint} NOT NULL,
                status text NOT NULL,
                failure_code text,
                failure_message text,
                provider_time {ts} NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                UNIQUE (provider, provider_payment_id)
            );
            CREATE INDEX ix_payments_customer ON payments (customer_id, id);
            CREATE INDEX ix_payments_invoice ON payments (invoice_id);

            CREATE TABLE refunds (
                id text PRIMARY KEY,
                payment_id text NOT NULL REFERENCES payments (id),
                provider text NOT NULL,
                provider_refund_id text,
                amount {bigint} NOT NULL,
                currency text NOT NULL,
                status text NOT NULL,
                reason text,
                credit_note_id text REFERENCES credit_notes (id),
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE UNIQUE INDEX ux_refunds_provider ON refunds (provider, provider_refund_id);
            CREATE INDEX ix_refunds_payment ON refunds (payment_id);

            CREATE TABLE provider_events (
                provider text NOT NULL,
                event_id text NOT NULL,
                type text NOT NULL,
                outcome text NOT NULL,
                received_at {ts} NOT NULL,
                PRIMARY KEY (provider, event_id)
            );

            CREATE TABLE charge_attempts (
                invoice_id text NOT NULL REFERENCES invoices (id),
                attempt integer NOT NULL,
                provider text NOT NULL,
                provider_payment_id text,
                status text NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                PRIMARY KEY (invoice_id, attempt)
            );
            CREATE INDEX ix_charge_attempts_pending ON charge_attempts (status, created_at);

            ALTER TABLE credit_notes ADD COLUMN refunded {bigint} NOT NULL DEFAULT 0;
            """),
        new(19, "payment credentials", """
            CREATE TABLE payment_credentials (
                provider text PRIMARY KEY,
                sealed text NOT NULL,
                updated_at {ts} NOT NULL
            );
            """),
        new(20, "provider subscriptions, merchant-of-record tax, and payment modes", """
            CREATE TABLE provider_subscriptions (
                subscription_id text PRIMARY KEY REFERENCES subscriptions (id),
                customer_id text NOT NULL REFERENCES customers (id),
                provider text NOT NULL,
                provider_subscription_id text NOT NULL,
                status text NOT NULL,
                provider_time {ts} NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE UNIQUE INDEX ux_provider_subscriptions_provider_id ON provider_subscriptions (provider, provider_subscription_id);
            CREATE INDEX ix_provider_subscriptions_status ON provider_subscriptions (status);

            ALTER TABLE payments ADD COLUMN tax {bigint} NOT NULL DEFAULT 0;
            ALTER TABLE payment_accounts ADD COLUMN mode text NOT NULL DEFAULT 'live';
            ALTER TABLE payments ADD COLUMN mode text NOT NULL DEFAULT 'live';
            ALTER TABLE provider_subscriptions ADD COLUMN mode text NOT NULL DEFAULT 'live';
            """),
        new(21, "outbound webhooks", """
            CREATE TABLE webhook_endpoints (
                id text PRIMARY KEY,
                customer_id text REFERENCES customers (id),
                url text NOT NULL,
                description text,
                events {json} NOT NULL,
                secret_sealed text NOT NULL,
                previous_secret_sealed text,
                previous_secret_until {ts},
                mode text NOT NULL,
                status text NOT NULL,
                disabled_reason text,
                failing_since {ts},
                deleted_at {ts},
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE INDEX ix_webhook_endpoints_customer ON webhook_endpoints (customer_id, id);

            CREATE TABLE webhook_deliveries (
                id text PRIMARY KEY,
                message_id text NOT NULL REFERENCES outbox (id),
                endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
                status text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at {ts},
                lease_owner text,
                lease_until {ts},
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );
            CREATE UNIQUE INDEX ux_webhook_deliveries_message ON webhook_deliveries (endpoint_id, message_id);
            CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

            CREATE TABLE webhook_attempts (
                id text PRIMARY KEY,
                delivery_id text NOT NULL REFERENCES webhook_deliveries (id),
                endpoint_id text NOT NULL,
                message_id text NOT NULL,
                node_id text NOT NULL,
                attempted_at {ts} NOT NULL,
                status_code integer,
                latency_ms integer NOT NULL,
                succeeded {bool} NOT NULL,
                response_excerpt text,
                error text
            );
            CREATE INDEX ix_webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
            CREATE INDEX ix_webhook_attempts_time ON webhook_attempts (attempted_at);
            CREATE INDEX ix_outbox_fan_out ON outbox (created_at) WHERE delivered_at IS NULL;
            -- What the outbox held before there were endpoints goes to none of them (replay sends it on purpose).
            UPDATE outbox SET delivered_at = created_at WHERE delivered_at IS NULL;
            """),
        new(22, "mrr analytics", """
            -- Subscription events not yet read into the MRR snapshots (all of history at first).
            ALTER TABLE outbox ADD COLUMN analyzed_at {ts};
            ALTER TABLE outbox ADD COLUMN analysis_error text;
            CREATE INDEX ix_outbox_analytics ON outbox (created_at) WHERE analyzed_at IS NULL AND type LIKE 'subscription.%';

            CREATE TABLE mrr_snapshots (
                message_id text PRIMARY KEY,
                subscription_id text NOT NULL,
                customer_id text NOT NULL,
                at {ts} NOT NULL,
                status text NOT NULL,
                unit_amount {bigint} NOT NULL,
                trial_end {ts},
                payload {json} NOT NULL
            );
            CREATE INDEX ix_mrr_snapshots_trial ON mrr_snapshots (trial_end) WHERE trial_end IS NOT NULL;
            CREATE INDEX ix_mrr_snapshots_customer ON mrr_snapshots (customer_id, at);

            CREATE TABLE mrr_movements (
                id text PRIMARY KEY,
                customer_id text NOT NULL,
                currency text NOT NULL,
                at {ts} NOT NULL,
                kind text NOT NULL,
                amount bigint NOT NULL,
                mrr_before bigint NOT NULL,
                mrr_after bigint NOT NULL
            );
            CREATE INDEX ix_mrr_movements_time ON mrr_movements (currency, at);
            CREATE INDEX ix_mrr_movements_customer ON mrr_movements (customer_id, at);
            """),
        new(23, "analytics goals and exchange rates", """
            CREATE TABLE exchange_rates (
                currency text NOT NULL,
                valid_from {ts} NOT NULL,
                rate text NOT NULL,
                created_at {ts} NOT NULL,
                PRIMARY KEY (currency, valid_from)
            );

            CREATE TABLE analytics_goals (
                id text PRIMARY KEY,
                name text NOT NULL,
                metric text NOT NULL,
                currency text NOT NULL,
                target text NOT NULL,
                due_at {ts} NOT NULL,
                created_at {ts} NOT NULL
            );
            """),
        new(24, "MRR movements of every currency in time", """
            CREATE INDEX ix_mrr_movements_at ON mrr_movements (at);
            """),
        new(25, "operator users and their sessions", """
            CREATE TABLE operator_users (
                id text PRIMARY KEY,
                email text NOT NULL UNIQUE,
                name text NOT NULL,
                role text NOT NULL,
                password_hash text NOT NULL,
                failed_attempts integer NOT NULL,
                locked_until {ts},
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            );

            CREATE TABLE operator_sessions (
                id text PRIMARY KEY,
                token_hash text NOT NULL UNIQUE,
                user_id text NOT NULL REFERENCES operator_users (id) ON DELETE CASCADE,
                created_at {ts} NOT NULL,
                last_seen_at {ts} NOT NULL,
                expires_at {ts} NOT NULL,
                user_agent text,
                address text,
                revoked_at {ts}
            );
            CREATE INDEX ix_operator_sessions_user ON operator_sessions (user_id, created_at);
            """),
        new(26, "the customer portal: its links, sessions and members' passwords", """
            ALTER TABLE members ADD COLUMN password_hash text;
            ALTER TABLE members ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;
            ALTER TABLE members ADD COLUMN locked_until {ts};

            CREATE TABLE portal_links (
                token_hash text PRIMARY KEY,
                customer_id text NOT NULL REFERENCES customers (id),
                mode text NOT NULL,
                return_url text,
                created_at {ts} NOT NULL,
                expires_at {ts} NOT NULL,
                used_at {ts}
            );

            CREATE TABLE portal_sessions (
                id text PRIMARY KEY,
                token_hash text NOT NULL UNIQUE,
                customer_id text NOT NULL REFERENCES customers (id),
                member_id text REFERENCES members (id) ON DELETE CASCADE,
                mode text NOT NULL,
                return_url text,
                created_at {ts} NOT NULL,
                last_seen_at {ts} NOT NULL,
                expires_at {ts} NOT NULL,
                revoked_at {ts},
                preview_plan text,
                preview_at {ts}
            );
            CREATE INDEX ix_portal_sessions_customer ON portal_sessions (customer_id);
            """),
    ];
}
