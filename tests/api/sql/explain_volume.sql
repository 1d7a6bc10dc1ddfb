-- A few years of a small company, enough rows that PostgreSQL plans the
-- statistics as it would in production (after ANALYZE). Deterministic ids:
-- md5(prefix || n)::uuid.
INSERT INTO teams (id, name, created_at, updated_at)
SELECT md5('t' || g)::uuid, 'Team ' || g, now(), now() FROM generate_series(1, 5) g;
INSERT INTO users (id, name, email, password_hash, role, team_id, created_at, updated_at)
SELECT md5('u' || g)::uuid, 'User ' || g, 'user' || g || '@volume.example', 'x',
       (ARRAY['sales', 'service', 'marketing', 'manager'])[1 + g % 4], md5('t' || (1 + g % 5))::uuid, now(), now()
FROM generate_series(1, 40) g;
UPDATE teams SET manager_id = md5('u' || 3)::uuid;
INSERT INTO customers (id, kind, name, city, region, segment, source, lifecycle_stage, owner_id, tags, email, phone_digits, created_at, updated_at)
SELECT md5('c' || g)::uuid, 'company', 'Customer ' || g, 'City ' || (g % 50), (ARRAY['East', 'West', 'North'])[1 + g % 3],
       (ARRAY['smb', 'enterprise'])[1 + g % 2], 'web', 'customer', md5('u' || (1 + g % 40))::uuid, '[]',
       'c' || g || '@example.com', lpad((g * 7919)::text, 9, '0'),
       timestamptz '2023-01-01' + (g % 1096) * interval '1 day', now()
FROM generate_series(1, 5000) g;
INSERT INTO products (id, sku, name, category, unit_price, unit_cost, created_at, updated_at)
SELECT md5('p' || g)::uuid, 'SKU' || g, 'Product ' || g, 'Category ' || (g % 5), 1000, 400, now(), now()
FROM generate_series(1, 50) g;
INSERT INTO orders (id, customer_id, owner_id, channel, region, status, ordered_at, total_amount, total_cost, created_at, updated_at)
SELECT md5('o' || g)::uuid, md5('c' || (1 + g % 5000))::uuid, md5('u' || (1 + g % 40))::uuid,
       (ARRAY['online', 'store'])[1 + g % 2], (ARRAY['East', 'West', 'North'])[1 + g % 3],
       CASE g % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'completed' ELSE 'paid' END,
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 60000, 2000, 800, now(), now()
FROM generate_series(1, 60000) g;
INSERT INTO order_items (id, order_id, position, product_id, quantity, unit_price, unit_cost, discount, line_amount, line_cost)
SELECT md5('i' || g)::uuid, md5('o' || ((g + 1) / 2))::uuid, g % 2, md5('p' || (1 + g % 50))::uuid, 1, 1000, 400, 0, 1000, 400
FROM generate_series(1, 120000) g;
INSERT INTO campaigns (id, name, channel, status, start_date, end_date, actual_cost, impressions, clicks, created_at, updated_at)
SELECT md5('k' || g)::uuid, 'Campaign ' || g, (ARRAY['wechat', 'email'])[1 + g % 2], 'completed',
       date '2023-01-01' + g * 50, date '2023-01-01' + g * 50 + 30, 100000, 10000, 200, now(), now()
FROM generate_series(1, 20) g;
INSERT INTO opportunities (id, customer_id, name, amount, stage, probability_bp, owner_id, campaign_id, closed_at, created_at, updated_at)
SELECT md5('d' || g)::uuid, md5('c' || (1 + g % 5000))::uuid, 'Deal ' || g, 500000,
       (ARRAY['won', 'lost', 'qualification', 'proposal', 'won', 'lost'])[1 + g % 6], 5000,
       md5('u' || (1 + g % 40))::uuid, md5('k' || (1 + g % 20))::uuid,
       CASE WHEN g % 6 IN (0, 1, 4, 5) THEN timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 10000 + interval '20 days' END,
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 10000, now()
FROM generate_series(1, 10000) g;
INSERT INTO opportunity_stage_history (id, opportunity_id, stage, changed_at)
SELECT md5('h' || g)::uuid, md5('d' || g)::uuid, 'qualification', created_at
FROM generate_series(1, 10000) g JOIN opportunities o ON o.id = md5('d' || g)::uuid;
INSERT INTO opportunity_stage_history (id, opportunity_id, from_stage, stage, changed_at)
SELECT md5('x' || g)::uuid, o.id, 'qualification', o.stage, COALESCE(o.closed_at, o.created_at + interval '5 days')
FROM generate_series(1, 10000) g JOIN opportunities o ON o.id = md5('d' || g)::uuid WHERE o.stage <> 'qualification';
INSERT INTO leads (id, name, source, campaign_id, status, owner_id, converted_customer_id, converted_at, created_at, updated_at)
SELECT md5('l' || g)::uuid, 'Lead ' || g, (ARRAY['web', 'referral', 'fair'])[1 + g % 3], md5('k' || (1 + g % 20))::uuid,
       CASE WHEN g % 4 = 0 THEN 'converted' ELSE 'new' END, md5('u' || (1 + g % 40))::uuid,
       CASE WHEN g % 4 = 0 THEN md5('c' || (1 + g % 5000))::uuid END,
       CASE WHEN g % 4 = 0 THEN timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 10000 + interval '9 days' END,
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 10000, now()
FROM generate_series(1, 10000) g;
INSERT INTO campaign_members (id, campaign_id, customer_id, status, created_at, updated_at)
SELECT md5('m' || g)::uuid, md5('k' || (1 + g % 20))::uuid, md5('c' || (1 + g % 5000))::uuid,
       (ARRAY['invited', 'participated', 'converted'])[1 + g % 3], timestamptz '2023-01-01' + (g % 1096) * interval '1 day', now()
FROM generate_series(1, 5000) g;
INSERT INTO activities (id, type, customer_id, owner_id, subject, occurred_at, created_at, updated_at)
SELECT md5('a' || g)::uuid, (ARRAY['call', 'email', 'meeting', 'visit'])[1 + g % 4], md5('c' || (1 + g % 5000))::uuid,
       md5('u' || (1 + g % 40))::uuid, 'Touch', timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 30000, now(), now()
FROM generate_series(1, 30000) g;
INSERT INTO tickets (id, customer_id, subject, category, priority, channel, status, assignee_id, first_response_at, resolved_at, satisfaction_score, created_at, updated_at)
SELECT md5('s' || g)::uuid, md5('c' || (1 + g % 5000))::uuid, 'Help', (ARRAY['billing', 'delivery', 'product'])[1 + g % 3],
       (ARRAY['urgent', 'high', 'normal', 'normal', 'low'])[1 + g % 5], (ARRAY['phone', 'email'])[1 + g % 2],
       CASE WHEN g % 3 = 0 THEN 'open' ELSE 'resolved' END, md5('u' || (1 + g % 40))::uuid,
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 20000 + interval '1 hour',
       CASE WHEN g % 3 <> 0 THEN timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 20000 + interval '1 day' END,
       CASE WHEN g % 3 <> 0 THEN 1 + g % 5 END,
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 20000, now()
FROM generate_series(1, 20000) g;
INSERT INTO tasks (id, title, assignee_id, due_at, completed_at, status, created_at, updated_at)
SELECT md5('j' || g)::uuid, 'Task ' || g, md5('u' || (1 + g % 40))::uuid,
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 10000,
       CASE WHEN g % 2 = 0 THEN timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 10000 END,
       CASE WHEN g % 2 = 0 THEN 'done' ELSE 'open' END, now(), now()
FROM generate_series(1, 10000) g;
INSERT INTO feedback (id, customer_id, score, channel, submitted_at, created_at, updated_at)
SELECT md5('f' || g)::uuid, md5('c' || (1 + g % 5000))::uuid, g % 11, 'sms',
       timestamptz '2023-01-01' + g * interval '1 day' * 1096 / 5000, now(), now()
FROM generate_series(1, 5000) g;
INSERT INTO targets (id, owner_id, period, period_start, metric, target_value, created_at, updated_at)
SELECT md5('g' || u || '-' || m)::uuid, md5('u' || u)::uuid, 'month', (date '2023-01-01' + m * interval '1 month')::date,
       'revenue', 1000000, now(), now()
FROM generate_series(1, 40) u, generate_series(0, 35) m;
ANALYZE;
