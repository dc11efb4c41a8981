WITH "t6" AS (
  SELECT
    *
  FROM (
    SELECT
      'server' AS "side",
      "t1"."event_uid",
      "t1"."pixel_id",
      "t1"."event_name",
      "t1"."event_id",
      "t1"."event_time",
      "t1"."order_id"
    FROM "server_events" AS "t1"
    WHERE
      NOT (
        "t1"."rejected"
      )
      AND "t1"."test_event_code" IS NULL
      AND "t1"."event_id" IS NOT NULL
      AND REGEXP_LIKE("t1"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
  ) AS "t4"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      'browser' AS "side",
      "t2"."event_uid",
      "t2"."pixel_id",
      "t2"."event_name",
      "t2"."event_id",
      "t2"."event_time",
      "t2"."order_id"
    FROM "browser_events" AS "t2"
    WHERE
      "t2"."source" <> 'mirror'
      AND "t2"."event_id" IS NOT NULL
      AND REGEXP_LIKE("t2"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
  ) AS "t5"
)
SELECT
  "t16"."side",
  "t16"."event_uid",
  "t16"."pixel_id",
  "t16"."event_id"
FROM (
  SELECT
    "t15"."side",
    "t15"."event_uid",
    "t15"."pixel_id",
    "t15"."event_name",
    "t15"."event_id",
    "t15"."event_time",
    "t15"."order_id",
    "t15"."cluster_start",
    (
      ROW_NUMBER() OVER (
        PARTITION BY "t15"."side", "t15"."pixel_id", "t15"."event_name", "t15"."event_id", "t15"."cluster_start"
        ORDER BY "t15"."event_time" ASC, "t15"."event_uid" ASC
      ) - 1
    ) > 0 AS "repeat"
  FROM (
    SELECT
      "t14"."side",
      "t14"."event_uid",
      "t14"."pixel_id",
      "t14"."event_name",
      "t14"."event_id",
      "t14"."event_time",
      "t14"."order_id",
      COALESCE("t14"."long_start", "t14"."t0") AS "cluster_start"
    FROM (
      SELECT
        "t13"."side",
        "t13"."event_uid",
        "t13"."pixel_id",
        "t13"."event_name",
        "t13"."event_id",
        "t13"."event_time",
        "t13"."order_id",
        "t13"."t0",
        "t3"."long_start"
      FROM (
        SELECT
          "t11"."side",
          "t11"."event_uid",
          "t11"."pixel_id",
          "t11"."event_name",
          "t11"."event_id",
          "t11"."event_time",
          "t11"."order_id",
          MIN("t11"."event_time") OVER (
            PARTITION BY "t11"."side", "t11"."pixel_id", "t11"."event_name", "t11"."event_id"
            ORDER BY NULL ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS "t0"
        FROM (
          SELECT
            "t8"."side",
            "t8"."event_uid",
            "t8"."pixel_id",
            "t8"."event_name",
            "t8"."event_id",
            "t8"."event_time",
            "t8"."order_id"
          FROM "t6" AS "t8"
          WHERE
            EXISTS(
              SELECT
                1
              FROM (
                SELECT DISTINCT
                  "t7"."pixel_id",
                  "t7"."event_id"
                FROM "t6" AS "t7"
                WHERE
                  TRUE
                  AND "t7"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                  AND "t7"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
              ) AS "t10"
              WHERE
                "t8"."pixel_id" IS NOT DISTINCT FROM "t10"."pixel_id"
                AND "t8"."event_id" = "t10"."event_id"
            )
        ) AS "t11"
      ) AS "t13"
      LEFT OUTER JOIN "long_starts" AS "t3"
        ON "t13"."side" = "t3"."side" AND "t13"."event_uid" = "t3"."event_uid"
    ) AS "t14"
  ) AS "t15"
) AS "t16"
WHERE
  "t16"."repeat";
