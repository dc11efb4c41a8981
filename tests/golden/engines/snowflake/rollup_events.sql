WITH "t7" AS (
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
  ) AS "t4"
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
  ) AS "t6"
), "t18" AS (
  SELECT
    "t9"."side",
    "t9"."event_uid",
    "t9"."pixel_id",
    "t9"."event_name",
    "t9"."event_id",
    "t9"."event_time",
    "t9"."order_id"
  FROM "t7" AS "t9"
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
              "t8"."pixel_id",
              "t8"."event_id"
            FROM "t7" AS "t8"
            WHERE
              TRUE
              AND "t8"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
              AND "t8"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
          ) AS "t14"
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
        ) AS "t15"
      ) AS "t17"
      WHERE
        "t9"."pixel_id" IS NOT DISTINCT FROM "t17"."pixel_id"
        AND "t9"."event_id" = "t17"."event_id"
    )
), "t21" AS (
  SELECT
    "t19"."side",
    "t19"."pixel_id",
    "t19"."event_name",
    "t19"."event_id",
    COUNT(*) AS "n",
    MIN("t19"."event_time") AS "t0",
    MAX("t19"."event_time") AS "t1",
    MIN("t19"."order_id") <> MAX("t19"."order_id") AS "orders"
  FROM "t18" AS "t19"
  GROUP BY
    1,
    2,
    3,
    4
), "t33" AS (
  SELECT
    "t30"."side",
    "t30"."event_uid",
    "t30"."pixel_id",
    "t30"."event_name",
    "t30"."event_id",
    "t30"."event_time",
    "t30"."order_id",
    "t30"."cluster_start",
    (
      ROW_NUMBER() OVER (
        PARTITION BY "t30"."side", "t30"."pixel_id", "t30"."event_name", "t30"."event_id", "t30"."cluster_start"
        ORDER BY "t30"."event_time" ASC, "t30"."event_uid" ASC
      ) - 1
    ) > 0 AS "repeat"
  FROM (
    SELECT
      "t24"."side",
      "t24"."event_uid",
      "t24"."pixel_id",
      "t24"."event_name",
      "t24"."event_id",
      "t24"."event_time",
      "t24"."order_id",
      COALESCE("t24"."long_start", "t24"."t0") AS "cluster_start"
    FROM (
      SELECT
        "t22"."side",
        "t22"."event_uid",
        "t22"."pixel_id",
        "t22"."event_name",
        "t22"."event_id",
        "t22"."event_time",
        "t22"."order_id",
        "t22"."t0",
        "t3"."long_start"
      FROM (
        SELECT
          "t19"."side",
          "t19"."event_uid",
          "t19"."pixel_id",
          "t19"."event_name",
          "t19"."event_id",
          "t19"."event_time",
          "t19"."order_id",
          MIN("t19"."event_time") OVER (
            PARTITION BY "t19"."side", "t19"."pixel_id", "t19"."event_name", "t19"."event_id"
            ORDER BY NULL ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS "t0"
        FROM "t18" AS "t19"
      ) AS "t22"
      LEFT OUTER JOIN "long_starts" AS "t3"
        ON "t22"."side" = "t3"."side" AND "t22"."event_uid" = "t3"."event_uid"
    ) AS "t24"
  ) AS "t30"
), "t41" AS (
  SELECT
    "t38"."pixel_id",
    "t38"."event_name",
    "t38"."event_id",
    "t40"."b_name",
    "t38"."cluster_start" AS "s_start"
  FROM (
    SELECT DISTINCT
      "t34"."side",
      "t34"."pixel_id",
      "t34"."event_name",
      "t34"."event_id",
      "t34"."cluster_start"
    FROM "t33" AS "t34"
    WHERE
      "t34"."side" = 'server'
  ) AS "t38"
  INNER JOIN (
    SELECT
      "t37"."pixel_id" AS "b_pixel",
      "t37"."event_id" AS "b_id",
      "t37"."event_name" AS "b_name",
      "t37"."cluster_start" AS "b_start"
    FROM (
      SELECT DISTINCT
        "t34"."side",
        "t34"."pixel_id",
        "t34"."event_name",
        "t34"."event_id",
        "t34"."cluster_start"
      FROM "t33" AS "t34"
      WHERE
        "t34"."side" = 'browser'
    ) AS "t37"
  ) AS "t40"
    ON "t38"."pixel_id" = "t40"."b_pixel"
    AND "t38"."event_id" = "t40"."b_id"
    AND "t40"."b_start" <= DATEADD(HOUR, '48', "t38"."cluster_start")
    AND "t38"."cluster_start" <= DATEADD(HOUR, '48', "t40"."b_start")
    AND (
      (
        "t40"."b_name" = "t38"."event_name"
      )
      OR (
        LOWER(REGEXP_REPLACE("t40"."b_name", '\\s', '')) = LOWER(REGEXP_REPLACE("t38"."event_name", '\\s', ''))
      )
    )
), "t48" AS (
  SELECT
    "t44"."pixel_id",
    "t44"."event_name",
    "t44"."event_id",
    MIN("t44"."s_start") AS "mismatch_at"
  FROM (
    SELECT
      *
    FROM "t41" AS "t42"
    WHERE
      "t42"."b_name" <> "t42"."event_name"
  ) AS "t44"
  GROUP BY
    1,
    2,
    3
), "t64" AS (
  SELECT
    "t35"."side" AS "f_side",
    "t35"."event_uid" AS "f_uid",
    "t63"."k_id" IS NOT NULL AS "k_matched",
    "t35"."repeat" AS "is_repeat"
  FROM "t33" AS "t35"
  LEFT OUTER JOIN (
    SELECT
      "t61"."pixel_id" AS "k_pixel",
      "t61"."event_name" AS "k_name",
      "t61"."event_id" AS "k_id"
    FROM (
      SELECT
        "t32"."pixel_id",
        "t32"."event_name",
        "t32"."event_id",
        "t32"."first_at",
        "t32"."last_at",
        "t32"."has_server",
        "t32"."has_browser",
        "t54"."m_id" IS NOT NULL AS "matched",
        COALESCE("t32"."reused_server", FALSE) AS "reused_server",
        COALESCE("t32"."reused_browser", FALSE) AS "reused_browser",
        "t60"."mm_id" IS NOT NULL AS "name_mismatch",
        "t60"."mm_first",
        "t60"."mm_last",
        "t54"."matched_at",
        "t60"."mismatch_at"
      FROM (
        SELECT
          "t25"."pixel_id",
          "t25"."event_name",
          "t25"."event_id",
          MIN("t25"."t0") AS "first_at",
          MAX("t25"."t1") AS "last_at",
          MAX("t25"."side" = 'server') AS "has_server",
          MAX("t25"."side" = 'browser') AS "has_browser",
          MAX(
            (
              "t25"."side" = 'server'
            )
            AND (
              "t25"."long" OR COALESCE("t25"."orders", FALSE)
            )
          ) AS "reused_server",
          MAX(
            (
              "t25"."side" = 'browser'
            )
            AND (
              "t25"."long" OR COALESCE("t25"."orders", FALSE)
            )
          ) AS "reused_browser"
        FROM (
          SELECT
            "t23"."side",
            "t23"."pixel_id",
            "t23"."event_name",
            "t23"."event_id",
            "t23"."n",
            "t23"."t0",
            "t23"."t1",
            "t23"."orders",
            "t23"."t1" > DATEADD(HOUR, '48', "t23"."t0") AS "long"
          FROM "t21" AS "t23"
        ) AS "t25"
        GROUP BY
          1,
          2,
          3
      ) AS "t32"
      LEFT OUTER JOIN (
        SELECT
          "t47"."pixel_id" AS "m_pixel",
          "t47"."event_name" AS "m_name",
          "t47"."event_id" AS "m_id",
          "t47"."matched_at"
        FROM (
          SELECT
            "t43"."pixel_id",
            "t43"."event_name",
            "t43"."event_id",
            MIN("t43"."s_start") AS "matched_at"
          FROM (
            SELECT
              *
            FROM "t41" AS "t42"
            WHERE
              "t42"."b_name" = "t42"."event_name"
          ) AS "t43"
          GROUP BY
            1,
            2,
            3
        ) AS "t47"
      ) AS "t54"
        ON "t32"."pixel_id" = "t54"."m_pixel"
        AND "t32"."event_name" = "t54"."m_name"
        AND "t32"."event_id" = "t54"."m_id"
      LEFT OUTER JOIN (
        SELECT
          "t58"."pixel_id" AS "mm_pixel",
          "t58"."event_name" AS "mm_name",
          "t58"."event_id" AS "mm_id",
          "t58"."mm_first",
          "t58"."mm_last",
          "t51"."mismatch_at"
        FROM (
          SELECT
            "t56"."pixel_id",
            "t56"."event_name",
            "t56"."event_id",
            MIN("t56"."t0") AS "mm_first",
            MAX("t56"."t1") AS "mm_last"
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t52"."pixel_id",
                "t52"."event_name",
                "t52"."event_id",
                "t28"."t0",
                "t28"."t1"
              FROM "t48" AS "t52"
              INNER JOIN (
                SELECT
                  "t23"."side",
                  "t23"."pixel_id",
                  "t23"."event_name",
                  "t23"."event_id",
                  "t23"."n",
                  "t23"."t0",
                  "t23"."t1",
                  "t23"."orders",
                  "t23"."t1" > DATEADD(HOUR, '48', "t23"."t0") AS "long"
                FROM "t21" AS "t23"
                WHERE
                  "t23"."side" = 'server'
              ) AS "t28"
                ON "t52"."pixel_id" = "t28"."pixel_id"
                AND "t52"."event_name" = "t28"."event_name"
                AND "t52"."event_id" = "t28"."event_id"
            ) AS "t55"
            UNION ALL
            SELECT
              *
            FROM (
              SELECT
                "t46"."pixel_id",
                "t46"."event_name",
                "t46"."event_id",
                "t29"."t0",
                "t29"."t1"
              FROM (
                SELECT DISTINCT
                  "t42"."pixel_id",
                  "t42"."event_name",
                  "t42"."event_id",
                  "t42"."b_name"
                FROM "t41" AS "t42"
                WHERE
                  "t42"."b_name" <> "t42"."event_name"
              ) AS "t46"
              INNER JOIN (
                SELECT
                  "t23"."side",
                  "t23"."pixel_id",
                  "t23"."event_name",
                  "t23"."event_id",
                  "t23"."n",
                  "t23"."t0",
                  "t23"."t1",
                  "t23"."orders",
                  "t23"."t1" > DATEADD(HOUR, '48', "t23"."t0") AS "long"
                FROM "t21" AS "t23"
                WHERE
                  "t23"."side" = 'browser'
              ) AS "t29"
                ON "t46"."pixel_id" = "t29"."pixel_id"
                AND "t46"."event_id" = "t29"."event_id"
                AND "t46"."b_name" = "t29"."event_name"
            ) AS "t53"
          ) AS "t56"
          GROUP BY
            1,
            2,
            3
        ) AS "t58"
        INNER JOIN "t48" AS "t51"
          ON "t58"."pixel_id" = "t51"."pixel_id"
          AND "t58"."event_name" = "t51"."event_name"
          AND "t58"."event_id" = "t51"."event_id"
      ) AS "t60"
        ON "t32"."pixel_id" = "t60"."mm_pixel"
        AND "t32"."event_name" = "t60"."mm_name"
        AND "t32"."event_id" = "t60"."mm_id"
    ) AS "t61"
    WHERE
      "t61"."matched"
  ) AS "t63"
    ON "t35"."pixel_id" = "t63"."k_pixel"
    AND "t35"."event_name" = "t63"."k_name"
    AND "t35"."event_id" = "t63"."k_id"
)
SELECT
  *
FROM (
  SELECT
    "t73"."pixel_id",
    "t73"."event_name",
    'server' AS "side",
    "t73"."bucket",
    "t73"."n",
    "t73"."lint_n",
    "t73"."with_id",
    "t73"."matched",
    "t73"."repeats",
    "t73"."website",
    "t73"."opt_out",
    "t73"."ldu",
    "t73"."p_em",
    "t73"."v_em",
    "t73"."p_ph",
    "t73"."v_ph",
    "t73"."p_fn",
    "t73"."v_fn",
    "t73"."p_ln",
    "t73"."v_ln",
    "t73"."p_ge",
    "t73"."v_ge",
    "t73"."p_db",
    "t73"."v_db",
    "t73"."p_ct",
    "t73"."v_ct",
    "t73"."p_st",
    "t73"."v_st",
    "t73"."p_zp",
    "t73"."v_zp",
    "t73"."p_country",
    "t73"."v_country",
    "t73"."p_external_id",
    "t73"."v_external_id",
    "t73"."p_client_ip_address",
    "t73"."v_client_ip_address",
    "t73"."p_client_user_agent",
    "t73"."v_client_user_agent",
    "t73"."p_fbc",
    "t73"."v_fbc",
    "t73"."p_fbp",
    "t73"."v_fbp"
  FROM (
    SELECT
      "t70"."pixel_id",
      "t70"."event_name",
      "t70"."bucket",
      COALESCE(SUM(CAST(COALESCE("t70"."counted", FALSE) AS BIGINT)), 0) AS "n",
      COUNT(*) AS "lint_n",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."has_id", FALSE) AS BIGINT)), 0) AS "with_id",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."k_matched", FALSE) AS BIGINT)), 0) AS "matched",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."is_repeat", FALSE) AS BIGINT)), 0) AS "repeats",
      COALESCE(
        SUM(
          CAST(COALESCE("t70"."counted" AND (
            "t70"."action_source" = 'website'
          ), FALSE) AS BIGINT)
        ),
        0
      ) AS "website",
      COALESCE(
        SUM(
          CAST(COALESCE("t70"."counted" AND COALESCE("t70"."opt_out", FALSE), FALSE) AS BIGINT)
        ),
        0
      ) AS "opt_out",
      COALESCE(
        SUM(
          CAST(COALESCE("t70"."counted" AND COALESCE("t70"."ldu", FALSE), FALSE) AS BIGINT)
        ),
        0
      ) AS "ldu",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."em_p", FALSE) AS BIGINT)), 0) AS "p_em",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."em_v", FALSE) AS BIGINT)), 0) AS "v_em",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ph_p", FALSE) AS BIGINT)), 0) AS "p_ph",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ph_v", FALSE) AS BIGINT)), 0) AS "v_ph",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."fn_p", FALSE) AS BIGINT)), 0) AS "p_fn",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."fn_v", FALSE) AS BIGINT)), 0) AS "v_fn",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ln_p", FALSE) AS BIGINT)), 0) AS "p_ln",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ln_v", FALSE) AS BIGINT)), 0) AS "v_ln",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ge_p", FALSE) AS BIGINT)), 0) AS "p_ge",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ge_v", FALSE) AS BIGINT)), 0) AS "v_ge",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."db_p", FALSE) AS BIGINT)), 0) AS "p_db",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."db_v", FALSE) AS BIGINT)), 0) AS "v_db",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ct_p", FALSE) AS BIGINT)), 0) AS "p_ct",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."ct_v", FALSE) AS BIGINT)), 0) AS "v_ct",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."st_p", FALSE) AS BIGINT)), 0) AS "p_st",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."st_v", FALSE) AS BIGINT)), 0) AS "v_st",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."zp_p", FALSE) AS BIGINT)), 0) AS "p_zp",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."zp_v", FALSE) AS BIGINT)), 0) AS "v_zp",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."country_p", FALSE) AS BIGINT)), 0) AS "p_country",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."country_v", FALSE) AS BIGINT)), 0) AS "v_country",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."external_id_p", FALSE) AS BIGINT)), 0) AS "p_external_id",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."external_id_v", FALSE) AS BIGINT)), 0) AS "v_external_id",
      COALESCE(
        SUM(CAST(COALESCE("t70"."counted" AND "t70"."client_ip_address_p", FALSE) AS BIGINT)),
        0
      ) AS "p_client_ip_address",
      COALESCE(
        SUM(CAST(COALESCE("t70"."counted" AND "t70"."client_ip_address_v", FALSE) AS BIGINT)),
        0
      ) AS "v_client_ip_address",
      COALESCE(
        SUM(CAST(COALESCE("t70"."counted" AND "t70"."client_user_agent_p", FALSE) AS BIGINT)),
        0
      ) AS "p_client_user_agent",
      COALESCE(
        SUM(CAST(COALESCE("t70"."counted" AND "t70"."client_user_agent_v", FALSE) AS BIGINT)),
        0
      ) AS "v_client_user_agent",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."fbc_p", FALSE) AS BIGINT)), 0) AS "p_fbc",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."fbc_v", FALSE) AS BIGINT)), 0) AS "v_fbc",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."fbp_p", FALSE) AS BIGINT)), 0) AS "p_fbp",
      COALESCE(SUM(CAST(COALESCE("t70"."counted" AND "t70"."fbp_v", FALSE) AS BIGINT)), 0) AS "v_fbp"
    FROM (
      SELECT
        "t12"."event_uid",
        "t12"."pixel_id",
        "t12"."event_name",
        "t12"."event_id",
        "t12"."event_time",
        "t12"."order_id",
        "t12"."rejected",
        "t12"."test_event_code",
        "t12"."action_source",
        "t12"."opt_out",
        "t12"."ldu",
        "t12"."em_p",
        "t12"."em_v",
        "t12"."ph_p",
        "t12"."ph_v",
        "t12"."fn_p",
        "t12"."fn_v",
        "t12"."ln_p",
        "t12"."ln_v",
        "t12"."ge_p",
        "t12"."ge_v",
        "t12"."db_p",
        "t12"."db_v",
        "t12"."ct_p",
        "t12"."ct_v",
        "t12"."st_p",
        "t12"."st_v",
        "t12"."zp_p",
        "t12"."zp_v",
        "t12"."country_p",
        "t12"."country_v",
        "t12"."external_id_p",
        "t12"."external_id_v",
        "t12"."client_ip_address_p",
        "t12"."client_ip_address_v",
        "t12"."client_user_agent_p",
        "t12"."client_user_agent_v",
        "t12"."fbc_p",
        "t12"."fbc_v",
        "t12"."fbp_p",
        "t12"."fbp_v",
        "t12"."em_plain",
        "t12"."ph_plain",
        "t12"."fn_plain",
        "t12"."ln_plain",
        "t12"."ge_plain",
        "t12"."db_plain",
        "t12"."ct_plain",
        "t12"."st_plain",
        "t12"."zp_plain",
        "t12"."country_plain",
        "t12"."fbc",
        "t12"."fbp",
        "t12"."client_ip_address",
        "t12"."client_user_agent",
        "t12"."sent_at",
        "t12"."event_time_unit",
        "t12"."event_source_url",
        "t12"."value",
        "t12"."currency",
        "t12"."error_code",
        "t12"."date",
        "t12"."counted",
        "t12"."has_id",
        "t12"."bucket",
        COALESCE("t68"."k_matched", FALSE) AS "k_matched",
        COALESCE("t68"."is_repeat", FALSE) AS "is_repeat"
      FROM (
        SELECT
          "t0"."event_uid",
          "t0"."pixel_id",
          "t0"."event_name",
          "t0"."event_id",
          "t0"."event_time",
          "t0"."order_id",
          "t0"."rejected",
          "t0"."test_event_code",
          "t0"."action_source",
          "t0"."opt_out",
          "t0"."ldu",
          "t0"."em_p",
          "t0"."em_v",
          "t0"."ph_p",
          "t0"."ph_v",
          "t0"."fn_p",
          "t0"."fn_v",
          "t0"."ln_p",
          "t0"."ln_v",
          "t0"."ge_p",
          "t0"."ge_v",
          "t0"."db_p",
          "t0"."db_v",
          "t0"."ct_p",
          "t0"."ct_v",
          "t0"."st_p",
          "t0"."st_v",
          "t0"."zp_p",
          "t0"."zp_v",
          "t0"."country_p",
          "t0"."country_v",
          "t0"."external_id_p",
          "t0"."external_id_v",
          "t0"."client_ip_address_p",
          "t0"."client_ip_address_v",
          "t0"."client_user_agent_p",
          "t0"."client_user_agent_v",
          "t0"."fbc_p",
          "t0"."fbc_v",
          "t0"."fbp_p",
          "t0"."fbp_v",
          "t0"."em_plain",
          "t0"."ph_plain",
          "t0"."fn_plain",
          "t0"."ln_plain",
          "t0"."ge_plain",
          "t0"."db_plain",
          "t0"."ct_plain",
          "t0"."st_plain",
          "t0"."zp_plain",
          "t0"."country_plain",
          "t0"."fbc",
          "t0"."fbp",
          "t0"."client_ip_address",
          "t0"."client_user_agent",
          "t0"."sent_at",
          "t0"."event_time_unit",
          "t0"."event_source_url",
          "t0"."value",
          "t0"."currency",
          "t0"."error_code",
          "t0"."date",
          NOT (
            "t0"."rejected"
          ) AND (
            "t0"."test_event_code" IS NULL
          ) AS "counted",
          (
            "t0"."event_id" IS NOT NULL
          )
          AND REGEXP_LIKE("t0"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs') AS "has_id",
          DATEADD(
            MINUTE,
            CAST(FLOOR((
              DATE_PART(minute, "t0"."event_time")
            ) / (
              15
            )) AS BIGINT) * 15,
            DATE_TRUNC('HOUR', "t0"."event_time")
          ) AS "bucket"
        FROM "server_events" AS "t0"
        WHERE
          TRUE
          AND "t0"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
          AND "t0"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
          AND "t0"."date" >= DATE_FROM_PARTS(2026, 10, 1)
          AND "t0"."date" <= DATE_FROM_PARTS(2026, 10, 31)
      ) AS "t12"
      LEFT OUTER JOIN (
        SELECT
          *
        FROM "t64" AS "t65"
        WHERE
          "t65"."f_side" = 'server'
      ) AS "t68"
        ON "t12"."event_uid" = "t68"."f_uid"
    ) AS "t70"
    GROUP BY
      1,
      2,
      3
  ) AS "t73"
) AS "t75"
UNION ALL
SELECT
  *
FROM (
  SELECT
    "t72"."pixel_id",
    "t72"."event_name",
    'browser' AS "side",
    "t72"."bucket",
    "t72"."n",
    "t72"."lint_n",
    "t72"."with_id",
    "t72"."matched",
    "t72"."repeats",
    0 AS "website",
    0 AS "opt_out",
    0 AS "ldu",
    0 AS "p_em",
    0 AS "v_em",
    0 AS "p_ph",
    0 AS "v_ph",
    0 AS "p_fn",
    0 AS "v_fn",
    0 AS "p_ln",
    0 AS "v_ln",
    0 AS "p_ge",
    0 AS "v_ge",
    0 AS "p_db",
    0 AS "v_db",
    0 AS "p_ct",
    0 AS "v_ct",
    0 AS "p_st",
    0 AS "v_st",
    0 AS "p_zp",
    0 AS "v_zp",
    0 AS "p_country",
    0 AS "v_country",
    0 AS "p_external_id",
    0 AS "v_external_id",
    0 AS "p_client_ip_address",
    0 AS "v_client_ip_address",
    0 AS "p_client_user_agent",
    0 AS "v_client_user_agent",
    0 AS "p_fbc",
    0 AS "v_fbc",
    0 AS "p_fbp",
    0 AS "v_fbp"
  FROM (
    SELECT
      "t71"."pixel_id",
      "t71"."event_name",
      "t71"."bucket",
      COALESCE(SUM(CAST(COALESCE("t71"."counted", FALSE) AS BIGINT)), 0) AS "n",
      COUNT(*) AS "lint_n",
      COALESCE(SUM(CAST(COALESCE("t71"."counted" AND "t71"."has_id", FALSE) AS BIGINT)), 0) AS "with_id",
      COALESCE(SUM(CAST(COALESCE("t71"."counted" AND "t71"."k_matched", FALSE) AS BIGINT)), 0) AS "matched",
      COALESCE(SUM(CAST(COALESCE("t71"."counted" AND "t71"."is_repeat", FALSE) AS BIGINT)), 0) AS "repeats"
    FROM (
      SELECT
        "t13"."event_uid",
        "t13"."pixel_id",
        "t13"."event_name",
        "t13"."event_id",
        "t13"."event_time",
        "t13"."order_id",
        "t13"."source",
        "t13"."fbc",
        "t13"."date",
        "t13"."counted",
        "t13"."has_id",
        "t13"."bucket",
        COALESCE("t69"."k_matched", FALSE) AS "k_matched",
        COALESCE("t69"."is_repeat", FALSE) AS "is_repeat"
      FROM (
        SELECT
          "t1"."event_uid",
          "t1"."pixel_id",
          "t1"."event_name",
          "t1"."event_id",
          "t1"."event_time",
          "t1"."order_id",
          "t1"."source",
          "t1"."fbc",
          "t1"."date",
          TRUE AS "counted",
          (
            "t1"."event_id" IS NOT NULL
          )
          AND REGEXP_LIKE("t1"."event_id", CONCAT('.*', '[^ ]', '.*'), 'cs') AS "has_id",
          DATEADD(
            MINUTE,
            CAST(FLOOR((
              DATE_PART(minute, "t1"."event_time")
            ) / (
              15
            )) AS BIGINT) * 15,
            DATE_TRUNC('HOUR', "t1"."event_time")
          ) AS "bucket"
        FROM "browser_events" AS "t1"
        WHERE
          TRUE
          AND "t1"."event_time" >= TIMESTAMP_FROM_PARTS(2026, 10, 1, 0, 0, 0, 0)
          AND "t1"."event_time" < TIMESTAMP_FROM_PARTS(2026, 11, 1, 0, 0, 0, 0)
          AND "t1"."date" >= DATE_FROM_PARTS(2026, 10, 1)
          AND "t1"."date" <= DATE_FROM_PARTS(2026, 10, 31)
          AND "t1"."source" <> 'mirror'
      ) AS "t13"
      LEFT OUTER JOIN (
        SELECT
          *
        FROM "t64" AS "t65"
        WHERE
          "t65"."f_side" = 'browser'
      ) AS "t69"
        ON "t13"."event_uid" = "t69"."f_uid"
    ) AS "t71"
    GROUP BY
      1,
      2,
      3
  ) AS "t72"
) AS "t74";
