-- conversation_days: one row per day (in the source's time zone) × channel × operator.
-- Placeholders: {{attendances}} (the attendances model), {{messages}}, {{time_zone}}.
--
-- attendances_opened / attendances_closed: attendances opened / closed that day, under their channel and operator.
-- messages_in (from the contact) / messages_out (from operators and bots): that day's messages, system events
-- never counted. A message belongs to the attendance of its contact that contains it (the latest opened one
-- when two do, then the greatest id) and takes its channel and operator; a message outside every attendance
-- (a bot's campaign, say) is counted with channel and operator empty.
-- median / p90 first response: over the attendances opened that day that had a reply (first_response_seconds),
-- interpolated between the two nearest values (DuckDB's quantile_cont).
WITH owned AS (
  SELECT m.sent_by, m.created_at, a.channel, a.operator
  FROM {{messages}} AS m
  LEFT JOIN {{attendances}} AS a
    ON a.contact_id = m.customer_id
   AND m.created_at >= a.opened_at
   AND m.created_at <= coalesce(a.closed_at, now())
  WHERE m.kind IS DISTINCT FROM 'system_event'
    AND m.sent_by IN ('customer', 'operator', 'bot')
    AND m.created_at IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY m.message_key ORDER BY a.opened_at DESC NULLS LAST, a.id DESC) = 1
),
events AS (
  SELECT timezone({{time_zone}}, opened_at)::DATE AS day, channel, operator,
         1 AS opened, 0 AS closed, 0 AS msg_in, 0 AS msg_out, first_response_seconds AS response
  FROM {{attendances}} WHERE opened_at IS NOT NULL
  UNION ALL
  SELECT timezone({{time_zone}}, closed_at)::DATE, channel, operator, 0, 1, 0, 0, NULL
  FROM {{attendances}} WHERE closed_at IS NOT NULL
  UNION ALL
  SELECT timezone({{time_zone}}, created_at)::DATE, channel, operator,
         0, 0, CASE WHEN sent_by = 'customer' THEN 1 ELSE 0 END, CASE WHEN sent_by = 'customer' THEN 0 ELSE 1 END, NULL
  FROM owned
)
SELECT
  day,
  channel,
  operator,
  sum(opened)::BIGINT AS attendances_opened,
  sum(closed)::BIGINT AS attendances_closed,
  sum(msg_in)::BIGINT AS messages_in,
  sum(msg_out)::BIGINT AS messages_out,
  median(response) AS median_first_response_seconds,
  quantile_cont(response, 0.9) AS p90_first_response_seconds
FROM events
GROUP BY day, channel, operator
