-- contacts_activity: one row per contact that has a message or an attendance.
-- Placeholders: {{attendances}} (the attendances model), {{messages}}.
--
-- Messages are all of the contact's `messages` rows but system events, inside attendances or not.
-- last_operator: the operator of the contact's latest opened attendance that names one.
WITH by_messages AS (
  SELECT
    customer_id AS contact_id,
    min(created_at) AS first_message_at,
    max(created_at) AS last_message_at,
    count(*) FILTER (WHERE sent_by = 'customer') AS messages_from_contact,
    count(*) FILTER (WHERE sent_by = 'operator') AS messages_from_operators,
    count(*) FILTER (WHERE sent_by = 'bot') AS messages_from_bot
  FROM {{messages}}
  WHERE kind IS DISTINCT FROM 'system_event' AND customer_id IS NOT NULL
  GROUP BY customer_id
),
by_attendances AS (
  SELECT
    contact_id,
    count(*) AS attendances,
    first(operator ORDER BY opened_at DESC NULLS LAST, id DESC) FILTER (WHERE operator IS NOT NULL) AS last_operator
  FROM {{attendances}}
  WHERE contact_id IS NOT NULL
  GROUP BY contact_id
)
SELECT
  coalesce(m.contact_id, a.contact_id) AS contact_id,
  m.first_message_at,
  m.last_message_at,
  coalesce(m.messages_from_contact, 0) AS messages_from_contact,
  coalesce(m.messages_from_operators, 0) AS messages_from_operators,
  coalesce(m.messages_from_bot, 0) AS messages_from_bot,
  coalesce(a.attendances, 0) AS attendances,
  a.last_operator
FROM by_messages AS m
FULL JOIN by_attendances AS a ON a.contact_id = m.contact_id
