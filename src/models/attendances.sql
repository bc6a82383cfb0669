-- attendances: one row per attendance report, with what its messages say.
-- Placeholders: {{reports}} and {{messages}}, the source's tables.
--
-- An attendance runs from opened_at (the report's created_at when the API sends no opened_at) to closed_at;
-- while it is open (closed is false, or no closed_at) it runs up to now. Its messages are the contact's
-- `messages` rows created in that span, both ends included. System events (kind = 'system_event', e.g.
-- ">: Atendimento transferido...") never count, whoever the API says sent them: they are not a reply.
-- A contact's message inside two overlapping attendances counts in both.
WITH attendance AS (
  SELECT
    r.id,
    r.protocol,
    r.customer.id AS contact_id,
    r.customer.full_name AS contact_name,
    r.channel,
    r.to_department AS department,
    r.employee.name AS operator,
    coalesce(r.opened_at, r.created_at) AS opened_at,
    CASE WHEN r.closed IS FALSE THEN NULL ELSE r.closed_at END AS closed_at,
    r.tme,
    r.tma
  FROM {{reports}} AS r
),
counted AS (
  SELECT a.id, m.sent_by, m.created_at
  FROM attendance AS a
  JOIN {{messages}} AS m
    ON m.customer_id = a.contact_id
   AND m.created_at >= a.opened_at
   AND m.created_at <= coalesce(a.closed_at, now())
  WHERE m.kind IS DISTINCT FROM 'system_event'
),
totals AS (
  SELECT
    id,
    count(*) FILTER (WHERE sent_by = 'customer') AS messages_from_contact,
    count(*) FILTER (WHERE sent_by = 'operator') AS messages_from_operators,
    count(*) FILTER (WHERE sent_by = 'bot') AS messages_from_bot,
    min(created_at) FILTER (WHERE sent_by = 'customer') AS first_contact_message_at
  FROM counted
  GROUP BY id
),
replies AS (
  -- The first operator message after the contact's first message, inside the attendance.
  SELECT c.id, min(c.created_at) AS first_operator_reply_at
  FROM counted AS c
  JOIN totals AS t ON t.id = c.id
  WHERE c.sent_by = 'operator' AND c.created_at > t.first_contact_message_at
  GROUP BY c.id
)
SELECT
  a.id,
  a.protocol,
  a.contact_id,
  a.contact_name,
  a.channel,
  a.department,
  a.operator,
  a.opened_at,
  a.closed_at,
  epoch(a.closed_at) - epoch(a.opened_at) AS duration_seconds,
  coalesce(t.messages_from_contact, 0) AS messages_from_contact,
  coalesce(t.messages_from_operators, 0) AS messages_from_operators,
  coalesce(t.messages_from_bot, 0) AS messages_from_bot,
  t.first_contact_message_at,
  p.first_operator_reply_at,
  epoch(p.first_operator_reply_at) - epoch(t.first_contact_message_at) AS first_response_seconds,
  a.tme,
  a.tma
FROM attendance AS a
LEFT JOIN totals AS t ON t.id = a.id
LEFT JOIN replies AS p ON p.id = a.id
