WITH "t35" AS (
  SELECT
    *
  FROM (
    SELECT
      'server' AS "side",
      "t0"."event_uid",
      "t0"."pixel_id",
      "t0"."event_name",
      "t0"."event_id",
      "t0"."event_time",
      "t0"."order_id"
    FROM "server_events" AS "t0"
    WHERE
      NOT (
        "t0"."rejected"
      )
      AND "t0"."test_event_code" IS NULL
      AND "t0"."event_id" IS NOT NULL
      AND REGEXP_LIKE("t0"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
  ) AS "t7"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      'browser' AS "side",
      "t1"."event_uid",
      "t1"."pixel_id",
      "t1"."event_name",
      "t1"."event_id",
      "t1"."event_time",
      "t1"."order_id"
    FROM "browser_events" AS "t1"
    WHERE
      "t1"."source" <> 'mirror'
      AND "t1"."event_id" IS NOT NULL
      AND REGEXP_LIKE("t1"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
  ) AS "t22"
), "t71" AS (
  SELECT
    "t46"."side",
    "t46"."event_uid",
    "t46"."pixel_id",
    "t46"."event_name",
    "t46"."event_id",
    "t46"."event_time",
    "t46"."order_id"
  FROM "t35" AS "t46"
  WHERE
    EXISTS(
      SELECT
        1
      FROM (
        SELECT DISTINCT
          *
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t43"."pixel_id",
              "t43"."event_id"
            FROM "t35" AS "t43"
            WHERE
              TRUE
              AND "t43"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
              AND "t43"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
          ) AS "t53"
          UNION ALL
          SELECT
            *
          FROM (
            SELECT
              "t0"."pixel_id",
              "t0"."event_id"
            FROM "server_events" AS "t0"
            WHERE
              TRUE
              AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
              AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
              AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
              AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
              AND "t0"."event_id" IS NOT NULL
              AND REGEXP_LIKE("t0"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
          ) AS "t5"
        ) AS "t57"
      ) AS "t65"
      WHERE
        "t46"."pixel_id" IS NOT DISTINCT FROM "t65"."pixel_id"
        AND "t46"."event_id" = "t65"."event_id"
    )
), "t80" AS (
  SELECT
    "t73"."side",
    "t73"."pixel_id",
    "t73"."event_name",
    "t73"."event_id",
    COUNT(*) AS "n",
    MIN("t73"."event_time") AS "t0",
    MAX("t73"."event_time") AS "t1",
    MIN("t73"."order_id") <> MAX("t73"."order_id") AS "orders"
  FROM "t71" AS "t73"
  GROUP BY
    1,
    2,
    3,
    4
), "t100" AS (
  SELECT
    "t97"."side",
    "t97"."event_uid",
    "t97"."pixel_id",
    "t97"."event_name",
    "t97"."event_id",
    "t97"."event_time",
    "t97"."order_id",
    "t97"."cluster_start",
    (
      ROW_NUMBER() OVER (
        PARTITION BY "t97"."side", "t97"."pixel_id", "t97"."event_name", "t97"."event_id", "t97"."cluster_start"
        ORDER BY "t97"."event_time" ASC, "t97"."event_uid" ASC
      ) - 1
    ) > 0 AS "repeat"
  FROM (
    SELECT
      "t88"."side",
      "t88"."event_uid",
      "t88"."pixel_id",
      "t88"."event_name",
      "t88"."event_id",
      "t88"."event_time",
      "t88"."order_id",
      COALESCE("t88"."long_start", "t88"."t0") AS "cluster_start"
    FROM (
      SELECT
        "t82"."side",
        "t82"."event_uid",
        "t82"."pixel_id",
        "t82"."event_name",
        "t82"."event_id",
        "t82"."event_time",
        "t82"."order_id",
        "t82"."t0",
        "t3"."long_start"
      FROM (
        SELECT
          "t73"."side",
          "t73"."event_uid",
          "t73"."pixel_id",
          "t73"."event_name",
          "t73"."event_id",
          "t73"."event_time",
          "t73"."order_id",
          MIN("t73"."event_time") OVER (
            PARTITION BY "t73"."side", "t73"."pixel_id", "t73"."event_name", "t73"."event_id"
            ORDER BY NULL ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS "t0"
        FROM "t71" AS "t73"
      ) AS "t82"
      LEFT OUTER JOIN "long_starts" AS "t3"
        ON "t82"."side" = "t3"."side" AND "t82"."event_uid" = "t3"."event_uid"
    ) AS "t88"
  ) AS "t97"
), "t107" AS (
  SELECT
    "t104"."pixel_id",
    "t104"."event_name",
    "t104"."event_id",
    "t106"."b_name",
    "t104"."cluster_start" AS "s_start"
  FROM (
    SELECT DISTINCT
      "t101"."side",
      "t101"."pixel_id",
      "t101"."event_name",
      "t101"."event_id",
      "t101"."cluster_start"
    FROM "t100" AS "t101"
    WHERE
      "t101"."side" = 'server'
  ) AS "t104"
  INNER JOIN (
    SELECT
      "t103"."pixel_id" AS "b_pixel",
      "t103"."event_id" AS "b_id",
      "t103"."event_name" AS "b_name",
      "t103"."cluster_start" AS "b_start"
    FROM (
      SELECT DISTINCT
        "t101"."side",
        "t101"."pixel_id",
        "t101"."event_name",
        "t101"."event_id",
        "t101"."cluster_start"
      FROM "t100" AS "t101"
      WHERE
        "t101"."side" = 'browser'
    ) AS "t103"
  ) AS "t106"
    ON "t104"."pixel_id" = "t106"."b_pixel"
    AND "t104"."event_id" = "t106"."b_id"
    AND "t106"."b_start" <= DATEADD(HOUR, '48', "t104"."cluster_start")
    AND "t104"."cluster_start" <= DATEADD(HOUR, '48', "t106"."b_start")
    AND (
      (
        "t106"."b_name" = "t104"."event_name"
      )
      OR (
        LOWER(REGEXP_REPLACE("t106"."b_name", '\\s', '')) = LOWER(REGEXP_REPLACE("t104"."event_name", '\\s', ''))
      )
    )
), "t114" AS (
  SELECT
    "t110"."pixel_id",
    "t110"."event_name",
    "t110"."event_id",
    MIN("t110"."s_start") AS "mismatch_at"
  FROM (
    SELECT
      *
    FROM "t107" AS "t108"
    WHERE
      "t108"."b_name" <> "t108"."event_name"
  ) AS "t110"
  GROUP BY
    1,
    2,
    3
), "t127" AS (
  SELECT
    "t99"."pixel_id",
    "t99"."event_name",
    "t99"."event_id",
    "t99"."first_at",
    "t99"."last_at",
    "t99"."has_server",
    "t99"."has_browser",
    "t120"."m_id" IS NOT NULL AS "matched",
    COALESCE("t99"."reused_server", FALSE) AS "reused_server",
    COALESCE("t99"."reused_browser", FALSE) AS "reused_browser",
    "t126"."mm_id" IS NOT NULL AS "name_mismatch",
    "t126"."mm_first",
    "t126"."mm_last",
    "t120"."matched_at",
    "t126"."mismatch_at"
  FROM (
    SELECT
      "t89"."pixel_id",
      "t89"."event_name",
      "t89"."event_id",
      MIN("t89"."t0") AS "first_at",
      MAX("t89"."t1") AS "last_at",
      MAX("t89"."side" = 'server') AS "has_server",
      MAX("t89"."side" = 'browser') AS "has_browser",
      MAX(
        (
          "t89"."side" = 'server'
        )
        AND (
          "t89"."long" OR COALESCE("t89"."orders", FALSE)
        )
      ) AS "reused_server",
      MAX(
        (
          "t89"."side" = 'browser'
        )
        AND (
          "t89"."long" OR COALESCE("t89"."orders", FALSE)
        )
      ) AS "reused_browser"
    FROM (
      SELECT
        "t83"."side",
        "t83"."pixel_id",
        "t83"."event_name",
        "t83"."event_id",
        "t83"."n",
        "t83"."t0",
        "t83"."t1",
        "t83"."orders",
        "t83"."t1" > DATEADD(HOUR, '48', "t83"."t0") AS "long"
      FROM "t80" AS "t83"
    ) AS "t89"
    GROUP BY
      1,
      2,
      3
  ) AS "t99"
  LEFT OUTER JOIN (
    SELECT
      "t113"."pixel_id" AS "m_pixel",
      "t113"."event_name" AS "m_name",
      "t113"."event_id" AS "m_id",
      "t113"."matched_at"
    FROM (
      SELECT
        "t109"."pixel_id",
        "t109"."event_name",
        "t109"."event_id",
        MIN("t109"."s_start") AS "matched_at"
      FROM (
        SELECT
          *
        FROM "t107" AS "t108"
        WHERE
          "t108"."b_name" = "t108"."event_name"
      ) AS "t109"
      GROUP BY
        1,
        2,
        3
    ) AS "t113"
  ) AS "t120"
    ON "t99"."pixel_id" = "t120"."m_pixel"
    AND "t99"."event_name" = "t120"."m_name"
    AND "t99"."event_id" = "t120"."m_id"
  LEFT OUTER JOIN (
    SELECT
      "t124"."pixel_id" AS "mm_pixel",
      "t124"."event_name" AS "mm_name",
      "t124"."event_id" AS "mm_id",
      "t124"."mm_first",
      "t124"."mm_last",
      "t117"."mismatch_at"
    FROM (
      SELECT
        "t122"."pixel_id",
        "t122"."event_name",
        "t122"."event_id",
        MIN("t122"."t0") AS "mm_first",
        MAX("t122"."t1") AS "mm_last"
      FROM (
        SELECT
          *
        FROM (
          SELECT
            "t118"."pixel_id",
            "t118"."event_name",
            "t118"."event_id",
            "t93"."t0",
            "t93"."t1"
          FROM "t114" AS "t118"
          INNER JOIN (
            SELECT
              "t83"."side",
              "t83"."pixel_id",
              "t83"."event_name",
              "t83"."event_id",
              "t83"."n",
              "t83"."t0",
              "t83"."t1",
              "t83"."orders",
              "t83"."t1" > DATEADD(HOUR, '48', "t83"."t0") AS "long"
            FROM "t80" AS "t83"
            WHERE
              "t83"."side" = 'server'
          ) AS "t93"
            ON "t118"."pixel_id" = "t93"."pixel_id"
            AND "t118"."event_name" = "t93"."event_name"
            AND "t118"."event_id" = "t93"."event_id"
        ) AS "t121"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            "t112"."pixel_id",
            "t112"."event_name",
            "t112"."event_id",
            "t94"."t0",
            "t94"."t1"
          FROM (
            SELECT DISTINCT
              "t108"."pixel_id",
              "t108"."event_name",
              "t108"."event_id",
              "t108"."b_name"
            FROM "t107" AS "t108"
            WHERE
              "t108"."b_name" <> "t108"."event_name"
          ) AS "t112"
          INNER JOIN (
            SELECT
              "t83"."side",
              "t83"."pixel_id",
              "t83"."event_name",
              "t83"."event_id",
              "t83"."n",
              "t83"."t0",
              "t83"."t1",
              "t83"."orders",
              "t83"."t1" > DATEADD(HOUR, '48', "t83"."t0") AS "long"
            FROM "t80" AS "t83"
            WHERE
              "t83"."side" = 'browser'
          ) AS "t94"
            ON "t112"."pixel_id" = "t94"."pixel_id"
            AND "t112"."event_id" = "t94"."event_id"
            AND "t112"."b_name" = "t94"."event_name"
        ) AS "t119"
      ) AS "t122"
      GROUP BY
        1,
        2,
        3
    ) AS "t124"
    INNER JOIN "t114" AS "t117"
      ON "t124"."pixel_id" = "t117"."pixel_id"
      AND "t124"."event_name" = "t117"."event_name"
      AND "t124"."event_id" = "t117"."event_id"
  ) AS "t126"
    ON "t99"."pixel_id" = "t126"."mm_pixel"
    AND "t99"."event_name" = "t126"."mm_name"
    AND "t99"."event_id" = "t126"."mm_id"
)
SELECT
  "t145"."pixel_id",
  "t145"."event_name",
  "t145"."side",
  "t145"."bucket",
  "t145"."rule",
  "t145"."severity",
  "t145"."field",
  "t145"."diagnosis",
  COUNT(DISTINCT "t145"."event_uid") AS "hits",
  IFF(
    COUNT("t145"."ex") = 0,
    CAST(NULL AS ARRAY),
    ARRAY_SLICE(ARRAY_SORT(ARRAY_AGG(DISTINCT "t145"."ex")), 0, 5)
  ) AS "examples"
FROM (
  SELECT
    "t144"."rule",
    "t144"."severity",
    "t144"."side",
    "t144"."pixel_id",
    "t144"."event_name",
    "t144"."field",
    "t144"."diagnosis",
    "t144"."event_uid",
    "t144"."event_id",
    "t144"."order_id",
    "t144"."event_time",
    DATEADD(
      MINUTE,
      CAST(FLOOR((
        DATE_PART(minute, "t144"."event_time")
      ) / (
        15
      )) AS BIGINT) * 15,
      DATE_TRUNC('HOUR', "t144"."event_time")
    ) AS "bucket",
    CASE
      WHEN "t144"."event_id" IS NOT NULL
      THEN CONCAT('event_id=', "t144"."event_id")
      WHEN "t144"."order_id" IS NOT NULL
      THEN CONCAT('order_id=', "t144"."order_id")
      ELSE CAST(NULL AS VARCHAR)
    END AS "ex"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            *
          FROM (
            SELECT
              *
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  *
                FROM (
                  SELECT
                    *
                  FROM (
                    SELECT
                      *
                    FROM (
                      SELECT
                        *
                      FROM (
                        SELECT
                          *
                        FROM (
                          SELECT
                            *
                          FROM (
                            SELECT
                              *
                            FROM (
                              SELECT
                                *
                              FROM (
                                SELECT
                                  *
                                FROM (
                                  SELECT
                                    *
                                  FROM (
                                    SELECT
                                      *
                                    FROM (
                                      SELECT
                                        *
                                      FROM (
                                        SELECT
                                          *
                                        FROM (
                                          SELECT
                                            *
                                          FROM (
                                            SELECT
                                              *
                                            FROM (
                                              SELECT
                                                *
                                              FROM (
                                                SELECT
                                                  *
                                                FROM (
                                                  SELECT
                                                    *
                                                  FROM (
                                                    SELECT
                                                      *
                                                    FROM (
                                                      SELECT
                                                        *
                                                      FROM (
                                                        SELECT
                                                          *
                                                        FROM (
                                                          SELECT
                                                            *
                                                          FROM (
                                                            SELECT
                                                              *
                                                            FROM (
                                                              SELECT
                                                                *
                                                              FROM (
                                                                SELECT
                                                                  *
                                                                FROM (
                                                                  SELECT
                                                                    *
                                                                  FROM (
                                                                    SELECT
                                                                      *
                                                                    FROM (
                                                                      SELECT
                                                                        *
                                                                      FROM (
                                                                        SELECT
                                                                          'unhashed_pii' AS "rule",
                                                                          'error' AS "severity",
                                                                          'server' AS "side",
                                                                          "t0"."pixel_id",
                                                                          "t0"."event_name",
                                                                          'em' AS "field",
                                                                          CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                          "t0"."event_uid",
                                                                          "t0"."event_id",
                                                                          "t0"."order_id",
                                                                          "t0"."event_time"
                                                                        FROM "server_events" AS "t0"
                                                                        WHERE
                                                                          TRUE
                                                                          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                          AND COALESCE("t0"."em_plain", FALSE)
                                                                      ) AS "t9"
                                                                      UNION ALL
                                                                      SELECT
                                                                        *
                                                                      FROM (
                                                                        SELECT
                                                                          'unhashed_pii' AS "rule",
                                                                          'error' AS "severity",
                                                                          'server' AS "side",
                                                                          "t0"."pixel_id",
                                                                          "t0"."event_name",
                                                                          'ph' AS "field",
                                                                          CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                          "t0"."event_uid",
                                                                          "t0"."event_id",
                                                                          "t0"."order_id",
                                                                          "t0"."event_time"
                                                                        FROM "server_events" AS "t0"
                                                                        WHERE
                                                                          TRUE
                                                                          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                          AND COALESCE("t0"."ph_plain", FALSE)
                                                                      ) AS "t10"
                                                                    ) AS "t26"
                                                                    UNION ALL
                                                                    SELECT
                                                                      *
                                                                    FROM (
                                                                      SELECT
                                                                        'unhashed_pii' AS "rule",
                                                                        'error' AS "severity",
                                                                        'server' AS "side",
                                                                        "t0"."pixel_id",
                                                                        "t0"."event_name",
                                                                        'fn' AS "field",
                                                                        CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                        "t0"."event_uid",
                                                                        "t0"."event_id",
                                                                        "t0"."order_id",
                                                                        "t0"."event_time"
                                                                      FROM "server_events" AS "t0"
                                                                      WHERE
                                                                        TRUE
                                                                        AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                        AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                        AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                        AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                        AND COALESCE("t0"."fn_plain", FALSE)
                                                                    ) AS "t11"
                                                                  ) AS "t41"
                                                                  UNION ALL
                                                                  SELECT
                                                                    *
                                                                  FROM (
                                                                    SELECT
                                                                      'unhashed_pii' AS "rule",
                                                                      'error' AS "severity",
                                                                      'server' AS "side",
                                                                      "t0"."pixel_id",
                                                                      "t0"."event_name",
                                                                      'ln' AS "field",
                                                                      CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                      "t0"."event_uid",
                                                                      "t0"."event_id",
                                                                      "t0"."order_id",
                                                                      "t0"."event_time"
                                                                    FROM "server_events" AS "t0"
                                                                    WHERE
                                                                      TRUE
                                                                      AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                      AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                      AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                      AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                      AND COALESCE("t0"."ln_plain", FALSE)
                                                                  ) AS "t12"
                                                                ) AS "t44"
                                                                UNION ALL
                                                                SELECT
                                                                  *
                                                                FROM (
                                                                  SELECT
                                                                    'unhashed_pii' AS "rule",
                                                                    'error' AS "severity",
                                                                    'server' AS "side",
                                                                    "t0"."pixel_id",
                                                                    "t0"."event_name",
                                                                    'ge' AS "field",
                                                                    CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                    "t0"."event_uid",
                                                                    "t0"."event_id",
                                                                    "t0"."order_id",
                                                                    "t0"."event_time"
                                                                  FROM "server_events" AS "t0"
                                                                  WHERE
                                                                    TRUE
                                                                    AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                    AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                    AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                    AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                    AND COALESCE("t0"."ge_plain", FALSE)
                                                                ) AS "t13"
                                                              ) AS "t49"
                                                              UNION ALL
                                                              SELECT
                                                                *
                                                              FROM (
                                                                SELECT
                                                                  'unhashed_pii' AS "rule",
                                                                  'error' AS "severity",
                                                                  'server' AS "side",
                                                                  "t0"."pixel_id",
                                                                  "t0"."event_name",
                                                                  'db' AS "field",
                                                                  CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                  "t0"."event_uid",
                                                                  "t0"."event_id",
                                                                  "t0"."order_id",
                                                                  "t0"."event_time"
                                                                FROM "server_events" AS "t0"
                                                                WHERE
                                                                  TRUE
                                                                  AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                  AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                  AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                  AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                  AND COALESCE("t0"."db_plain", FALSE)
                                                              ) AS "t14"
                                                            ) AS "t52"
                                                            UNION ALL
                                                            SELECT
                                                              *
                                                            FROM (
                                                              SELECT
                                                                'unhashed_pii' AS "rule",
                                                                'error' AS "severity",
                                                                'server' AS "side",
                                                                "t0"."pixel_id",
                                                                "t0"."event_name",
                                                                'ct' AS "field",
                                                                CAST(NULL AS VARCHAR) AS "diagnosis",
                                                                "t0"."event_uid",
                                                                "t0"."event_id",
                                                                "t0"."order_id",
                                                                "t0"."event_time"
                                                              FROM "server_events" AS "t0"
                                                              WHERE
                                                                TRUE
                                                                AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                                AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                                AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                                AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                                AND COALESCE("t0"."ct_plain", FALSE)
                                                            ) AS "t15"
                                                          ) AS "t54"
                                                          UNION ALL
                                                          SELECT
                                                            *
                                                          FROM (
                                                            SELECT
                                                              'unhashed_pii' AS "rule",
                                                              'error' AS "severity",
                                                              'server' AS "side",
                                                              "t0"."pixel_id",
                                                              "t0"."event_name",
                                                              'st' AS "field",
                                                              CAST(NULL AS VARCHAR) AS "diagnosis",
                                                              "t0"."event_uid",
                                                              "t0"."event_id",
                                                              "t0"."order_id",
                                                              "t0"."event_time"
                                                            FROM "server_events" AS "t0"
                                                            WHERE
                                                              TRUE
                                                              AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                              AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                              AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                              AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                              AND COALESCE("t0"."st_plain", FALSE)
                                                          ) AS "t16"
                                                        ) AS "t58"
                                                        UNION ALL
                                                        SELECT
                                                          *
                                                        FROM (
                                                          SELECT
                                                            'unhashed_pii' AS "rule",
                                                            'error' AS "severity",
                                                            'server' AS "side",
                                                            "t0"."pixel_id",
                                                            "t0"."event_name",
                                                            'zp' AS "field",
                                                            CAST(NULL AS VARCHAR) AS "diagnosis",
                                                            "t0"."event_uid",
                                                            "t0"."event_id",
                                                            "t0"."order_id",
                                                            "t0"."event_time"
                                                          FROM "server_events" AS "t0"
                                                          WHERE
                                                            TRUE
                                                            AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                            AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                            AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                            AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                            AND COALESCE("t0"."zp_plain", FALSE)
                                                        ) AS "t17"
                                                      ) AS "t60"
                                                      UNION ALL
                                                      SELECT
                                                        *
                                                      FROM (
                                                        SELECT
                                                          'unhashed_pii' AS "rule",
                                                          'error' AS "severity",
                                                          'server' AS "side",
                                                          "t0"."pixel_id",
                                                          "t0"."event_name",
                                                          'country' AS "field",
                                                          CAST(NULL AS VARCHAR) AS "diagnosis",
                                                          "t0"."event_uid",
                                                          "t0"."event_id",
                                                          "t0"."order_id",
                                                          "t0"."event_time"
                                                        FROM "server_events" AS "t0"
                                                        WHERE
                                                          TRUE
                                                          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                          AND COALESCE("t0"."country_plain", FALSE)
                                                      ) AS "t18"
                                                    ) AS "t64"
                                                    UNION ALL
                                                    SELECT
                                                      *
                                                    FROM (
                                                      SELECT
                                                        'hashed_not_allowed' AS "rule",
                                                        'error' AS "severity",
                                                        'server' AS "side",
                                                        "t0"."pixel_id",
                                                        "t0"."event_name",
                                                        'fbc' AS "field",
                                                        CAST(NULL AS VARCHAR) AS "diagnosis",
                                                        "t0"."event_uid",
                                                        "t0"."event_id",
                                                        "t0"."order_id",
                                                        "t0"."event_time"
                                                      FROM "server_events" AS "t0"
                                                      WHERE
                                                        TRUE
                                                        AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                        AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                        AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                        AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                        AND COALESCE(
                                                          REGEXP_LIKE(
                                                            "t0"."fbc",
                                                            CONCAT('.*', '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$', '.*'),
                                                            'cs'
                                                          ),
                                                          FALSE
                                                        )
                                                    ) AS "t28"
                                                  ) AS "t66"
                                                  UNION ALL
                                                  SELECT
                                                    *
                                                  FROM (
                                                    SELECT
                                                      'hashed_not_allowed' AS "rule",
                                                      'error' AS "severity",
                                                      'server' AS "side",
                                                      "t0"."pixel_id",
                                                      "t0"."event_name",
                                                      'fbp' AS "field",
                                                      CAST(NULL AS VARCHAR) AS "diagnosis",
                                                      "t0"."event_uid",
                                                      "t0"."event_id",
                                                      "t0"."order_id",
                                                      "t0"."event_time"
                                                    FROM "server_events" AS "t0"
                                                    WHERE
                                                      TRUE
                                                      AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                      AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                      AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                      AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                      AND COALESCE(
                                                        REGEXP_LIKE(
                                                          "t0"."fbp",
                                                          CONCAT('.*', '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$', '.*'),
                                                          'cs'
                                                        ),
                                                        FALSE
                                                      )
                                                  ) AS "t29"
                                                ) AS "t67"
                                                UNION ALL
                                                SELECT
                                                  *
                                                FROM (
                                                  SELECT
                                                    'hashed_not_allowed' AS "rule",
                                                    'error' AS "severity",
                                                    'server' AS "side",
                                                    "t0"."pixel_id",
                                                    "t0"."event_name",
                                                    'client_ip_address' AS "field",
                                                    CAST(NULL AS VARCHAR) AS "diagnosis",
                                                    "t0"."event_uid",
                                                    "t0"."event_id",
                                                    "t0"."order_id",
                                                    "t0"."event_time"
                                                  FROM "server_events" AS "t0"
                                                  WHERE
                                                    TRUE
                                                    AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                    AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                    AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                    AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                    AND COALESCE(
                                                      REGEXP_LIKE(
                                                        "t0"."client_ip_address",
                                                        CONCAT('.*', '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$', '.*'),
                                                        'cs'
                                                      ),
                                                      FALSE
                                                    )
                                                ) AS "t30"
                                              ) AS "t69"
                                              UNION ALL
                                              SELECT
                                                *
                                              FROM (
                                                SELECT
                                                  'hashed_not_allowed' AS "rule",
                                                  'error' AS "severity",
                                                  'server' AS "side",
                                                  "t0"."pixel_id",
                                                  "t0"."event_name",
                                                  'client_user_agent' AS "field",
                                                  CAST(NULL AS VARCHAR) AS "diagnosis",
                                                  "t0"."event_uid",
                                                  "t0"."event_id",
                                                  "t0"."order_id",
                                                  "t0"."event_time"
                                                FROM "server_events" AS "t0"
                                                WHERE
                                                  TRUE
                                                  AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                  AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                  AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                  AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                  AND COALESCE(
                                                    REGEXP_LIKE(
                                                      "t0"."client_user_agent",
                                                      CONCAT('.*', '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$', '.*'),
                                                      'cs'
                                                    ),
                                                    FALSE
                                                  )
                                              ) AS "t31"
                                            ) AS "t70"
                                            UNION ALL
                                            SELECT
                                              *
                                            FROM (
                                              SELECT
                                                'invalid_fbc' AS "rule",
                                                'error' AS "severity",
                                                'server' AS "side",
                                                "t0"."pixel_id",
                                                "t0"."event_name",
                                                'fbc' AS "field",
                                                CAST(NULL AS VARCHAR) AS "diagnosis",
                                                "t0"."event_uid",
                                                "t0"."event_id",
                                                "t0"."order_id",
                                                "t0"."event_time"
                                              FROM "server_events" AS "t0"
                                              WHERE
                                                TRUE
                                                AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                AND COALESCE("t0"."fbc_p" AND NOT (
                                                  "t0"."fbc_v"
                                                ), FALSE)
                                            ) AS "t39"
                                          ) AS "t72"
                                          UNION ALL
                                          SELECT
                                            *
                                          FROM (
                                            SELECT
                                              'invalid_fbp' AS "rule",
                                              'error' AS "severity",
                                              'server' AS "side",
                                              "t0"."pixel_id",
                                              "t0"."event_name",
                                              'fbp' AS "field",
                                              CAST(NULL AS VARCHAR) AS "diagnosis",
                                              "t0"."event_uid",
                                              "t0"."event_id",
                                              "t0"."order_id",
                                              "t0"."event_time"
                                            FROM "server_events" AS "t0"
                                            WHERE
                                              TRUE
                                              AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                              AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                              AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                              AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                              AND COALESCE("t0"."fbp_p" AND NOT (
                                                "t0"."fbp_v"
                                              ), FALSE)
                                          ) AS "t40"
                                        ) AS "t74"
                                        UNION ALL
                                        SELECT
                                          *
                                        FROM (
                                          SELECT
                                            'fbc_case_modified' AS "rule",
                                            'warning' AS "severity",
                                            'server' AS "side",
                                            "t56"."pixel_id",
                                            "t56"."event_name",
                                            'fbc' AS "field",
                                            CAST(NULL AS VARCHAR) AS "diagnosis",
                                            "t56"."event_uid",
                                            "t56"."event_id",
                                            "t56"."order_id",
                                            "t56"."event_time"
                                          FROM (
                                            SELECT
                                              "t27"."event_uid",
                                              "t27"."pixel_id",
                                              "t27"."event_name",
                                              "t27"."event_id",
                                              "t27"."event_time",
                                              "t27"."order_id",
                                              "t27"."rejected",
                                              "t27"."test_event_code",
                                              "t27"."action_source",
                                              "t27"."opt_out",
                                              "t27"."ldu",
                                              "t27"."em_p",
                                              "t27"."em_v",
                                              "t27"."ph_p",
                                              "t27"."ph_v",
                                              "t27"."fn_p",
                                              "t27"."fn_v",
                                              "t27"."ln_p",
                                              "t27"."ln_v",
                                              "t27"."ge_p",
                                              "t27"."ge_v",
                                              "t27"."db_p",
                                              "t27"."db_v",
                                              "t27"."ct_p",
                                              "t27"."ct_v",
                                              "t27"."st_p",
                                              "t27"."st_v",
                                              "t27"."zp_p",
                                              "t27"."zp_v",
                                              "t27"."country_p",
                                              "t27"."country_v",
                                              "t27"."external_id_p",
                                              "t27"."external_id_v",
                                              "t27"."client_ip_address_p",
                                              "t27"."client_ip_address_v",
                                              "t27"."client_user_agent_p",
                                              "t27"."client_user_agent_v",
                                              "t27"."fbc_p",
                                              "t27"."fbc_v",
                                              "t27"."fbp_p",
                                              "t27"."fbp_v",
                                              "t27"."em_plain",
                                              "t27"."ph_plain",
                                              "t27"."fn_plain",
                                              "t27"."ln_plain",
                                              "t27"."ge_plain",
                                              "t27"."db_plain",
                                              "t27"."ct_plain",
                                              "t27"."st_plain",
                                              "t27"."zp_plain",
                                              "t27"."country_plain",
                                              "t27"."fbc",
                                              "t27"."fbp",
                                              "t27"."client_ip_address",
                                              "t27"."client_user_agent",
                                              "t27"."sent_at",
                                              "t27"."event_time_unit",
                                              "t27"."event_source_url",
                                              "t27"."value",
                                              "t27"."currency",
                                              "t27"."error_code",
                                              "t27"."date"
                                            FROM (
                                              SELECT
                                                *
                                              FROM "server_events" AS "t0"
                                              WHERE
                                                TRUE
                                                AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                                AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                                AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                                AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                                AND "t0"."fbc" IS NOT NULL
                                            ) AS "t27"
                                            WHERE
                                              EXISTS(
                                                SELECT
                                                  1
                                                FROM (
                                                  SELECT
                                                    "t1"."pixel_id" AS "b_pixel",
                                                    "t1"."event_name" AS "b_name",
                                                    "t1"."event_id" AS "b_id",
                                                    "t1"."fbc" AS "b_fbc",
                                                    "t1"."event_time" AS "b_time"
                                                  FROM "browser_events" AS "t1"
                                                  WHERE
                                                    TRUE
                                                    AND "t1"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 9, 29, 0, 0, 0, 0)
                                                    AND "t1"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 3, 0, 0, 0, 0)
                                                    AND "t1"."date" >= DATE_FROM_PARTS(2026, 9, 29)
                                                    AND "t1"."date" <= DATE_FROM_PARTS(2026, 11, 2)
                                                    AND "t1"."source" <> 'mirror'
                                                ) AS "t34"
                                                WHERE
                                                  "t27"."pixel_id" = "t34"."b_pixel"
                                                  AND "t27"."event_name" = "t34"."b_name"
                                                  AND "t27"."event_id" = "t34"."b_id"
                                                  AND "t34"."b_time" <= DATEADD(HOUR, '48', "t27"."event_time")
                                                  AND "t27"."event_time" <= DATEADD(HOUR, '48', "t34"."b_time")
                                                  AND "t34"."b_fbc" <> "t27"."fbc"
                                                  AND LOWER("t34"."b_fbc") = LOWER("t27"."fbc")
                                              )
                                          ) AS "t56"
                                          WHERE
                                            COALESCE(TRUE, FALSE)
                                        ) AS "t62"
                                      ) AS "t76"
                                      UNION ALL
                                      SELECT
                                        *
                                      FROM (
                                        SELECT
                                          'fbc_case_modified' AS "rule",
                                          'warning' AS "severity",
                                          'server' AS "side",
                                          "t55"."pixel_id",
                                          "t55"."event_name",
                                          'fbc' AS "field",
                                          'heuristic' AS "diagnosis",
                                          "t55"."event_uid",
                                          "t55"."event_id",
                                          "t55"."order_id",
                                          "t55"."event_time"
                                        FROM (
                                          SELECT
                                            "t25"."event_uid",
                                            "t25"."pixel_id",
                                            "t25"."event_name",
                                            "t25"."event_id",
                                            "t25"."event_time",
                                            "t25"."order_id",
                                            "t25"."rejected",
                                            "t25"."test_event_code",
                                            "t25"."action_source",
                                            "t25"."opt_out",
                                            "t25"."ldu",
                                            "t25"."em_p",
                                            "t25"."em_v",
                                            "t25"."ph_p",
                                            "t25"."ph_v",
                                            "t25"."fn_p",
                                            "t25"."fn_v",
                                            "t25"."ln_p",
                                            "t25"."ln_v",
                                            "t25"."ge_p",
                                            "t25"."ge_v",
                                            "t25"."db_p",
                                            "t25"."db_v",
                                            "t25"."ct_p",
                                            "t25"."ct_v",
                                            "t25"."st_p",
                                            "t25"."st_v",
                                            "t25"."zp_p",
                                            "t25"."zp_v",
                                            "t25"."country_p",
                                            "t25"."country_v",
                                            "t25"."external_id_p",
                                            "t25"."external_id_v",
                                            "t25"."client_ip_address_p",
                                            "t25"."client_ip_address_v",
                                            "t25"."client_user_agent_p",
                                            "t25"."client_user_agent_v",
                                            "t25"."fbc_p",
                                            "t25"."fbc_v",
                                            "t25"."fbp_p",
                                            "t25"."fbp_v",
                                            "t25"."em_plain",
                                            "t25"."ph_plain",
                                            "t25"."fn_plain",
                                            "t25"."ln_plain",
                                            "t25"."ge_plain",
                                            "t25"."db_plain",
                                            "t25"."ct_plain",
                                            "t25"."st_plain",
                                            "t25"."zp_plain",
                                            "t25"."country_plain",
                                            "t25"."fbc",
                                            "t25"."fbp",
                                            "t25"."client_ip_address",
                                            "t25"."client_user_agent",
                                            "t25"."sent_at",
                                            "t25"."event_time_unit",
                                            "t25"."event_source_url",
                                            "t25"."value",
                                            "t25"."currency",
                                            "t25"."error_code",
                                            "t25"."date"
                                          FROM (
                                            SELECT
                                              *
                                            FROM "server_events" AS "t0"
                                            WHERE
                                              TRUE
                                              AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                              AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                              AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                              AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                              AND COALESCE("t0"."fbc_v", FALSE)
                                          ) AS "t25"
                                          WHERE
                                            NOT EXISTS(
                                              SELECT
                                                1
                                              FROM (
                                                SELECT
                                                  "t1"."pixel_id" AS "b_pixel",
                                                  "t1"."event_name" AS "b_name",
                                                  "t1"."event_id" AS "b_id",
                                                  "t1"."fbc" AS "b_fbc",
                                                  "t1"."event_time" AS "b_time"
                                                FROM "browser_events" AS "t1"
                                                WHERE
                                                  TRUE
                                                  AND "t1"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 9, 29, 0, 0, 0, 0)
                                                  AND "t1"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 3, 0, 0, 0, 0)
                                                  AND "t1"."date" >= DATE_FROM_PARTS(2026, 9, 29)
                                                  AND "t1"."date" <= DATE_FROM_PARTS(2026, 11, 2)
                                                  AND "t1"."source" <> 'mirror'
                                              ) AS "t34"
                                              WHERE
                                                "t25"."pixel_id" = "t34"."b_pixel"
                                                AND "t25"."event_name" = "t34"."b_name"
                                                AND "t25"."event_id" = "t34"."b_id"
                                                AND "t34"."b_time" <= DATEADD(HOUR, '48', "t25"."event_time")
                                                AND "t25"."event_time" <= DATEADD(HOUR, '48', "t34"."b_time")
                                                AND "t34"."b_fbc" IS NOT NULL
                                            )
                                        ) AS "t55"
                                        WHERE
                                          LENGTH(REGEXP_SUBSTR("t55"."fbc", '^[^.]*\\.[^.]*\\.[^.]*\\.([^.]*)', 1, 1, 'ce', 1)) >= 20
                                          AND REGEXP_SUBSTR("t55"."fbc", '^[^.]*\\.[^.]*\\.[^.]*\\.([^.]*)', 1, 1, 'ce', 1) = LOWER(REGEXP_SUBSTR("t55"."fbc", '^[^.]*\\.[^.]*\\.[^.]*\\.([^.]*)', 1, 1, 'ce', 1))
                                          AND REGEXP_LIKE(
                                            REGEXP_SUBSTR("t55"."fbc", '^[^.]*\\.[^.]*\\.[^.]*\\.([^.]*)', 1, 1, 'ce', 1),
                                            CONCAT('.*', '[a-z]', '.*'),
                                            'cs'
                                          )
                                          AND COALESCE(TRUE, FALSE)
                                      ) AS "t68"
                                    ) AS "t77"
                                    UNION ALL
                                    SELECT
                                      *
                                    FROM (
                                      SELECT
                                        'event_time_ms' AS "rule",
                                        'warning' AS "severity",
                                        'server' AS "side",
                                        "t0"."pixel_id",
                                        "t0"."event_name",
                                        'event_time' AS "field",
                                        "t0"."event_time_unit" AS "diagnosis",
                                        "t0"."event_uid",
                                        "t0"."event_id",
                                        "t0"."order_id",
                                        "t0"."event_time"
                                      FROM "server_events" AS "t0"
                                      WHERE
                                        TRUE
                                        AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                        AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                        AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                        AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                        AND COALESCE("t0"."event_time_unit" IN ('ms', 'us'), FALSE)
                                    ) AS "t32"
                                  ) AS "t78"
                                  UNION ALL
                                  SELECT
                                    *
                                  FROM (
                                    SELECT
                                      'stale_event_time' AS "rule",
                                      'error' AS "severity",
                                      'server' AS "side",
                                      "t0"."pixel_id",
                                      "t0"."event_name",
                                      'event_time' AS "field",
                                      CAST(NULL AS VARCHAR) AS "diagnosis",
                                      "t0"."event_uid",
                                      "t0"."event_id",
                                      "t0"."order_id",
                                      "t0"."event_time"
                                    FROM "server_events" AS "t0"
                                    WHERE
                                      TRUE
                                      AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                      AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                      AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                      AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                      AND COALESCE("t0"."sent_at" > DATEADD(DAY, '7', "t0"."event_time"), FALSE)
                                  ) AS "t36"
                                ) AS "t81"
                                UNION ALL
                                SELECT
                                  *
                                FROM (
                                  SELECT
                                    'future_event_time' AS "rule",
                                    'warning' AS "severity",
                                    'server' AS "side",
                                    "t0"."pixel_id",
                                    "t0"."event_name",
                                    'event_time' AS "field",
                                    CAST(NULL AS VARCHAR) AS "diagnosis",
                                    "t0"."event_uid",
                                    "t0"."event_id",
                                    "t0"."order_id",
                                    "t0"."event_time"
                                  FROM "server_events" AS "t0"
                                  WHERE
                                    TRUE
                                    AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                    AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                    AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                    AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                    AND COALESCE("t0"."event_time" > DATEADD(MINUTE, '10', "t0"."sent_at"), FALSE)
                                ) AS "t42"
                              ) AS "t84"
                              UNION ALL
                              SELECT
                                *
                              FROM (
                                SELECT
                                  'missing_event_source_url' AS "rule",
                                  'error' AS "severity",
                                  'server' AS "side",
                                  "t0"."pixel_id",
                                  "t0"."event_name",
                                  'event_source_url' AS "field",
                                  CAST(NULL AS VARCHAR) AS "diagnosis",
                                  "t0"."event_uid",
                                  "t0"."event_id",
                                  "t0"."order_id",
                                  "t0"."event_time"
                                FROM "server_events" AS "t0"
                                WHERE
                                  TRUE
                                  AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                  AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                  AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                  AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                  AND COALESCE(
                                    (
                                      "t0"."action_source" = 'website'
                                    )
                                    AND NOT (
                                      (
                                        "t0"."event_source_url" IS NOT NULL
                                      )
                                      AND REGEXP_LIKE("t0"."event_source_url", CONCAT('.*', '[^ ]', '.*'), 'cs')
                                    ),
                                    FALSE
                                  )
                              ) AS "t50"
                            ) AS "t85"
                            UNION ALL
                            SELECT
                              *
                            FROM (
                              SELECT
                                'missing_client_user_agent' AS "rule",
                                'error' AS "severity",
                                'server' AS "side",
                                "t0"."pixel_id",
                                "t0"."event_name",
                                'client_user_agent' AS "field",
                                CAST(NULL AS VARCHAR) AS "diagnosis",
                                "t0"."event_uid",
                                "t0"."event_id",
                                "t0"."order_id",
                                "t0"."event_time"
                              FROM "server_events" AS "t0"
                              WHERE
                                TRUE
                                AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                                AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                                AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                                AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                                AND COALESCE(
                                  (
                                    "t0"."action_source" = 'website'
                                  ) AND NOT (
                                    "t0"."client_user_agent_p"
                                  ),
                                  FALSE
                                )
                            ) AS "t38"
                          ) AS "t86"
                          UNION ALL
                          SELECT
                            *
                          FROM (
                            SELECT
                              'baseline_invalid' AS "rule",
                              'error' AS "severity",
                              'server' AS "side",
                              "t0"."pixel_id",
                              "t0"."event_name",
                              'user_data' AS "field",
                              CAST(NULL AS VARCHAR) AS "diagnosis",
                              "t0"."event_uid",
                              "t0"."event_id",
                              "t0"."order_id",
                              "t0"."event_time"
                            FROM "server_events" AS "t0"
                            WHERE
                              TRUE
                              AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                              AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                              AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                              AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                              AND COALESCE(
                                FALSE
                                OR NOT (
                                  "t0"."em_p"
                                  OR "t0"."ph_p"
                                  OR "t0"."fn_p"
                                  OR "t0"."ln_p"
                                  OR "t0"."db_p"
                                  OR "t0"."external_id_p"
                                  OR "t0"."client_ip_address_p"
                                  OR "t0"."fbc_p"
                                  OR "t0"."fbp_p"
                                )
                                OR NOT (
                                  "t0"."em_p"
                                  OR "t0"."ph_p"
                                  OR "t0"."fn_p"
                                  OR "t0"."ln_p"
                                  OR "t0"."ge_p"
                                  OR "t0"."ct_p"
                                  OR "t0"."st_p"
                                  OR "t0"."zp_p"
                                  OR "t0"."country_p"
                                  OR "t0"."external_id_p"
                                  OR "t0"."client_ip_address_p"
                                  OR "t0"."fbc_p"
                                  OR "t0"."fbp_p"
                                )
                                OR NOT (
                                  "t0"."em_p"
                                  OR "t0"."ph_p"
                                  OR "t0"."ln_p"
                                  OR "t0"."db_p"
                                  OR "t0"."ct_p"
                                  OR "t0"."st_p"
                                  OR "t0"."zp_p"
                                  OR "t0"."country_p"
                                  OR "t0"."external_id_p"
                                  OR "t0"."client_ip_address_p"
                                  OR "t0"."client_user_agent_p"
                                  OR "t0"."fbc_p"
                                  OR "t0"."fbp_p"
                                )
                                OR NOT (
                                  "t0"."em_p"
                                  OR "t0"."ph_p"
                                  OR "t0"."fn_p"
                                  OR "t0"."db_p"
                                  OR "t0"."ct_p"
                                  OR "t0"."st_p"
                                  OR "t0"."zp_p"
                                  OR "t0"."country_p"
                                  OR "t0"."external_id_p"
                                  OR "t0"."client_ip_address_p"
                                  OR "t0"."client_user_agent_p"
                                  OR "t0"."fbc_p"
                                  OR "t0"."fbp_p"
                                ),
                                FALSE
                              )
                          ) AS "t75"
                        ) AS "t87"
                        UNION ALL
                        SELECT
                          *
                        FROM (
                          SELECT
                            'server_user_agent' AS "rule",
                            'warning' AS "severity",
                            'server' AS "side",
                            "t0"."pixel_id",
                            "t0"."event_name",
                            'client_user_agent' AS "field",
                            CAST(NULL AS VARCHAR) AS "diagnosis",
                            "t0"."event_uid",
                            "t0"."event_id",
                            "t0"."order_id",
                            "t0"."event_time"
                          FROM "server_events" AS "t0"
                          WHERE
                            TRUE
                            AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                            AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                            AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                            AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                            AND COALESCE(
                              (
                                "t0"."client_user_agent" IS NOT NULL
                              )
                              AND REGEXP_LIKE(
                                LOWER("t0"."client_user_agent"),
                                CONCAT(
                                  '.*',
                                  'python-requests|python-httpx|python-urllib|aiohttp|go-http-client|curl/|wget|axios|node-fetch|undici|got \\(|okhttp|java/|apache-httpclient|guzzlehttp|guzzle|wordpress/|postmanruntime|libwww-perl|ruby|faraday|restsharp|facebook-php-business-sdk|fbbizsdk',
                                  '.*'
                                ),
                                'cs'
                              ),
                              FALSE
                            )
                        ) AS "t45"
                      ) AS "t92"
                      UNION ALL
                      SELECT
                        *
                      FROM (
                        SELECT
                          'timestamp_event_id' AS "rule",
                          'warning' AS "severity",
                          'server' AS "side",
                          "t0"."pixel_id",
                          "t0"."event_name",
                          'event_id' AS "field",
                          CAST(NULL AS VARCHAR) AS "diagnosis",
                          "t0"."event_uid",
                          "t0"."event_id",
                          "t0"."order_id",
                          "t0"."event_time"
                        FROM "server_events" AS "t0"
                        WHERE
                          TRUE
                          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                          AND COALESCE(
                            REGEXP_LIKE("t0"."event_id", CONCAT('.*', '^(?:[0-9]{10}|[0-9]{13})$', '.*'), 'cs')
                            AND (
                              ABS(
                                (
                                  CAST("t0"."event_id" AS DOUBLE) / IFF(LENGTH("t0"."event_id") = 13, 1000.0, 1.0)
                                ) - (
                                  CAST(DATEDIFF(MICROSECOND, TIMESTAMP_FROM_PARTS(1970, 1, 1, 0, 0, 0, 0), "t0"."event_time") AS DOUBLE) / 1000000.0
                                )
                              ) <= 86400
                            ),
                            FALSE
                          )
                      ) AS "t59"
                    ) AS "t95"
                    UNION ALL
                    SELECT
                      *
                    FROM (
                      SELECT
                        'timestamp_event_id' AS "rule",
                        'warning' AS "severity",
                        'browser' AS "side",
                        "t1"."pixel_id",
                        "t1"."event_name",
                        'event_id' AS "field",
                        CAST(NULL AS VARCHAR) AS "diagnosis",
                        "t1"."event_uid",
                        "t1"."event_id",
                        "t1"."order_id",
                        "t1"."event_time"
                      FROM "browser_events" AS "t1"
                      WHERE
                        TRUE
                        AND "t1"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                        AND "t1"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                        AND "t1"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                        AND "t1"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                        AND "t1"."source" <> 'mirror'
                        AND COALESCE(
                          REGEXP_LIKE("t1"."event_id", CONCAT('.*', '^(?:[0-9]{10}|[0-9]{13})$', '.*'), 'cs')
                          AND (
                            ABS(
                              (
                                CAST("t1"."event_id" AS DOUBLE) / IFF(LENGTH("t1"."event_id") = 13, 1000.0, 1.0)
                              ) - (
                                CAST(DATEDIFF(MICROSECOND, TIMESTAMP_FROM_PARTS(1970, 1, 1, 0, 0, 0, 0), "t1"."event_time") AS DOUBLE) / 1000000.0
                              )
                            ) <= 86400
                          ),
                          FALSE
                        )
                    ) AS "t61"
                  ) AS "t96"
                  UNION ALL
                  SELECT
                    *
                  FROM (
                    SELECT
                      'reused_event_id' AS "rule",
                      'error' AS "severity",
                      'server' AS "side",
                      "t134"."pixel_id",
                      "t134"."event_name",
                      'event_id' AS "field",
                      CAST(NULL AS VARCHAR) AS "diagnosis",
                      "t134"."event_uid",
                      "t134"."event_id",
                      "t134"."order_id",
                      "t134"."event_time"
                    FROM (
                      SELECT
                        "t23"."event_uid",
                        "t23"."pixel_id",
                        "t23"."event_name",
                        "t23"."event_id",
                        "t23"."event_time",
                        "t23"."order_id",
                        "t23"."rejected",
                        "t23"."test_event_code",
                        "t23"."action_source",
                        "t23"."opt_out",
                        "t23"."ldu",
                        "t23"."em_p",
                        "t23"."em_v",
                        "t23"."ph_p",
                        "t23"."ph_v",
                        "t23"."fn_p",
                        "t23"."fn_v",
                        "t23"."ln_p",
                        "t23"."ln_v",
                        "t23"."ge_p",
                        "t23"."ge_v",
                        "t23"."db_p",
                        "t23"."db_v",
                        "t23"."ct_p",
                        "t23"."ct_v",
                        "t23"."st_p",
                        "t23"."st_v",
                        "t23"."zp_p",
                        "t23"."zp_v",
                        "t23"."country_p",
                        "t23"."country_v",
                        "t23"."external_id_p",
                        "t23"."external_id_v",
                        "t23"."client_ip_address_p",
                        "t23"."client_ip_address_v",
                        "t23"."client_user_agent_p",
                        "t23"."client_user_agent_v",
                        "t23"."fbc_p",
                        "t23"."fbc_v",
                        "t23"."fbp_p",
                        "t23"."fbp_v",
                        "t23"."em_plain",
                        "t23"."ph_plain",
                        "t23"."fn_plain",
                        "t23"."ln_plain",
                        "t23"."ge_plain",
                        "t23"."db_plain",
                        "t23"."ct_plain",
                        "t23"."st_plain",
                        "t23"."zp_plain",
                        "t23"."country_plain",
                        "t23"."fbc",
                        "t23"."fbp",
                        "t23"."client_ip_address",
                        "t23"."client_user_agent",
                        "t23"."sent_at",
                        "t23"."event_time_unit",
                        "t23"."event_source_url",
                        "t23"."value",
                        "t23"."currency",
                        "t23"."error_code",
                        "t23"."date"
                      FROM (
                        SELECT
                          *
                        FROM "server_events" AS "t0"
                        WHERE
                          TRUE
                          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                      ) AS "t23"
                      WHERE
                        EXISTS(
                          SELECT
                            1
                          FROM (
                            SELECT
                              "t128"."pixel_id" AS "r_pixel",
                              "t128"."event_name" AS "r_name",
                              "t128"."event_id" AS "r_id"
                            FROM "t127" AS "t128"
                            WHERE
                              "t128"."reused_server"
                          ) AS "t132"
                          WHERE
                            "t23"."pixel_id" = "t132"."r_pixel"
                            AND "t23"."event_name" = "t132"."r_name"
                            AND "t23"."event_id" = "t132"."r_id"
                        )
                    ) AS "t134"
                    WHERE
                      COALESCE(TRUE, FALSE)
                  ) AS "t136"
                ) AS "t137"
                UNION ALL
                SELECT
                  *
                FROM (
                  SELECT
                    'reused_event_id' AS "rule",
                    'error' AS "severity",
                    'browser' AS "side",
                    "t133"."pixel_id",
                    "t133"."event_name",
                    'event_id' AS "field",
                    CAST(NULL AS VARCHAR) AS "diagnosis",
                    "t133"."event_uid",
                    "t133"."event_id",
                    "t133"."order_id",
                    "t133"."event_time"
                  FROM (
                    SELECT
                      "t33"."event_uid",
                      "t33"."pixel_id",
                      "t33"."event_name",
                      "t33"."event_id",
                      "t33"."event_time",
                      "t33"."order_id",
                      "t33"."source",
                      "t33"."fbc",
                      "t33"."date"
                    FROM (
                      SELECT
                        *
                      FROM "browser_events" AS "t1"
                      WHERE
                        TRUE
                        AND "t1"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                        AND "t1"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                        AND "t1"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                        AND "t1"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                        AND "t1"."source" <> 'mirror'
                    ) AS "t33"
                    WHERE
                      EXISTS(
                        SELECT
                          1
                        FROM (
                          SELECT
                            "t128"."pixel_id" AS "r_pixel",
                            "t128"."event_name" AS "r_name",
                            "t128"."event_id" AS "r_id"
                          FROM "t127" AS "t128"
                          WHERE
                            "t128"."reused_browser"
                        ) AS "t131"
                        WHERE
                          "t33"."pixel_id" = "t131"."r_pixel"
                          AND "t33"."event_name" = "t131"."r_name"
                          AND "t33"."event_id" = "t131"."r_id"
                      )
                  ) AS "t133"
                  WHERE
                    COALESCE(TRUE, FALSE)
                ) AS "t135"
              ) AS "t138"
              UNION ALL
              SELECT
                *
              FROM (
                SELECT
                  'missing_event_id' AS "rule",
                  'warning' AS "severity",
                  'server' AS "side",
                  "t0"."pixel_id",
                  "t0"."event_name",
                  'event_id' AS "field",
                  CAST(NULL AS VARCHAR) AS "diagnosis",
                  "t0"."event_uid",
                  "t0"."event_id",
                  "t0"."order_id",
                  "t0"."event_time"
                FROM "server_events" AS "t0"
                WHERE
                  TRUE
                  AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                  AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                  AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                  AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                  AND COALESCE(
                    NOT (
                      (
                        "t0"."event_id" IS NOT NULL
                      )
                      AND REGEXP_LIKE("t0"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
                    )
                    AND (
                      "t0"."pixel_id" IS NOT NULL
                    ),
                    FALSE
                  )
              ) AS "t47"
            ) AS "t139"
            UNION ALL
            SELECT
              *
            FROM (
              SELECT
                'missing_event_id' AS "rule",
                'warning' AS "severity",
                'browser' AS "side",
                "t1"."pixel_id",
                "t1"."event_name",
                'event_id' AS "field",
                CAST(NULL AS VARCHAR) AS "diagnosis",
                "t1"."event_uid",
                "t1"."event_id",
                "t1"."order_id",
                "t1"."event_time"
              FROM "browser_events" AS "t1"
              WHERE
                TRUE
                AND "t1"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
                AND "t1"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
                AND "t1"."date" >= DATE_FROM_PARTS(2026, 10, 1)
                AND "t1"."date" <= DATE_FROM_PARTS(2026, 10, 31)
                AND "t1"."source" <> 'mirror'
                AND COALESCE(
                  NOT (
                    (
                      "t1"."event_id" IS NOT NULL
                    )
                    AND REGEXP_LIKE("t1"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs')
                  )
                  AND (
                    "t1"."pixel_id" IS NOT NULL
                  ),
                  FALSE
                )
            ) AS "t51"
          ) AS "t140"
          UNION ALL
          SELECT
            *
          FROM (
            SELECT
              'purchase_missing_value' AS "rule",
              'error' AS "severity",
              'server' AS "side",
              "t0"."pixel_id",
              "t0"."event_name",
              'value' AS "field",
              CAST(NULL AS VARCHAR) AS "diagnosis",
              "t0"."event_uid",
              "t0"."event_id",
              "t0"."order_id",
              "t0"."event_time"
            FROM "server_events" AS "t0"
            WHERE
              TRUE
              AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
              AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
              AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
              AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
              AND COALESCE((
                "t0"."event_name" = 'Purchase'
              ) AND (
                "t0"."value" IS NULL
              ), FALSE)
          ) AS "t37"
        ) AS "t141"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            'invalid_currency' AS "rule",
            'error' AS "severity",
            'server' AS "side",
            "t0"."pixel_id",
            "t0"."event_name",
            'currency' AS "field",
            IFF("t0"."currency" IS NULL, 'missing', CAST(NULL AS VARCHAR)) AS "diagnosis",
            "t0"."event_uid",
            "t0"."event_id",
            "t0"."order_id",
            "t0"."event_time"
          FROM "server_events" AS "t0"
          WHERE
            TRUE
            AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
            AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
            AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
            AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
            AND COALESCE(
              (
                "t0"."event_name" = 'Purchase'
              )
              AND (
                (
                  "t0"."currency" IS NULL
                )
                OR NOT (
                  "t0"."currency" IN (
                    'AED',
                    'AFN',
                    'ALL',
                    'AMD',
                    'ANG',
                    'AOA',
                    'ARS',
                    'AUD',
                    'AWG',
                    'AZN',
                    'BAM',
                    'BBD',
                    'BDT',
                    'BGN',
                    'BHD',
                    'BIF',
                    'BMD',
                    'BND',
                    'BOB',
                    'BRL',
                    'BSD',
                    'BTN',
                    'BWP',
                    'BYN',
                    'BZD',
                    'CAD',
                    'CDF',
                    'CHF',
                    'CLP',
                    'CNY',
                    'COP',
                    'CRC',
                    'CUC',
                    'CUP',
                    'CVE',
                    'CZK',
                    'DJF',
                    'DKK',
                    'DOP',
                    'DZD',
                    'EGP',
                    'ERN',
                    'ETB',
                    'EUR',
                    'FJD',
                    'FKP',
                    'GBP',
                    'GEL',
                    'GHS',
                    'GIP',
                    'GMD',
                    'GNF',
                    'GTQ',
                    'GYD',
                    'HKD',
                    'HNL',
                    'HTG',
                    'HUF',
                    'IDR',
                    'ILS',
                    'INR',
                    'IQD',
                    'IRR',
                    'ISK',
                    'JMD',
                    'JOD',
                    'JPY',
                    'KES',
                    'KGS',
                    'KHR',
                    'KMF',
                    'KPW',
                    'KRW',
                    'KWD',
                    'KYD',
                    'KZT',
                    'LAK',
                    'LBP',
                    'LKR',
                    'LRD',
                    'LSL',
                    'LYD',
                    'MAD',
                    'MDL',
                    'MGA',
                    'MKD',
                    'MMK',
                    'MNT',
                    'MOP',
                    'MRU',
                    'MUR',
                    'MVR',
                    'MWK',
                    'MXN',
                    'MYR',
                    'MZN',
                    'NAD',
                    'NGN',
                    'NIO',
                    'NOK',
                    'NPR',
                    'NZD',
                    'OMR',
                    'PAB',
                    'PEN',
                    'PGK',
                    'PHP',
                    'PKR',
                    'PLN',
                    'PYG',
                    'QAR',
                    'RON',
                    'RSD',
                    'RUB',
                    'RWF',
                    'SAR',
                    'SBD',
                    'SCR',
                    'SDG',
                    'SEK',
                    'SGD',
                    'SHP',
                    'SLE',
                    'SLL',
                    'SOS',
                    'SRD',
                    'SSP',
                    'STN',
                    'SVC',
                    'SYP',
                    'SZL',
                    'THB',
                    'TJS',
                    'TMT',
                    'TND',
                    'TOP',
                    'TRY',
                    'TTD',
                    'TWD',
                    'TZS',
                    'UAH',
                    'UGX',
                    'USD',
                    'UYU',
                    'UZS',
                    'VED',
                    'VES',
                    'VND',
                    'VUV',
                    'WST',
                    'XAF',
                    'XCD',
                    'XCG',
                    'XOF',
                    'XPF',
                    'YER',
                    'ZAR',
                    'ZMW',
                    'ZWG',
                    'ZWL'
                  )
                )
              ),
              FALSE
            )
        ) AS "t48"
      ) AS "t142"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          'test_event_code' AS "rule",
          'warning' AS "severity",
          'server' AS "side",
          "t0"."pixel_id",
          "t0"."event_name",
          'test_event_code' AS "field",
          CAST(NULL AS VARCHAR) AS "diagnosis",
          "t0"."event_uid",
          "t0"."event_id",
          "t0"."order_id",
          "t0"."event_time"
        FROM "server_events" AS "t0"
        WHERE
          TRUE
          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
          AND COALESCE("t0"."test_event_code" IS NOT NULL, FALSE)
      ) AS "t24"
    ) AS "t143"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        'rejected_request' AS "rule",
        'error' AS "severity",
        'server' AS "side",
        "t0"."pixel_id",
        "t0"."event_name",
        'request' AS "field",
        CAST("t0"."error_code" AS VARCHAR) AS "diagnosis",
        "t0"."event_uid",
        "t0"."event_id",
        "t0"."order_id",
        "t0"."event_time"
      FROM "server_events" AS "t0"
      WHERE
        TRUE
        AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
        AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
        AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
        AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
        AND COALESCE("t0"."rejected", FALSE)
    ) AS "t6"
  ) AS "t144"
) AS "t145"
GROUP BY
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8;
