WITH `t6` AS (
  SELECT
    *
  FROM (
    SELECT
      'server' AS `side`,
      `t0`.`event_uid`,
      `t0`.`pixel_id`,
      `t0`.`event_name`,
      `t0`.`event_id`,
      `t0`.`event_time`,
      `t0`.`order_id`
    FROM `server_events` AS `t0`
    WHERE
      NOT (
        `t0`.`rejected`
      )
      AND `t0`.`test_event_code` IS NULL
      AND `t0`.`event_id` IS NOT NULL
      AND REGEXP_LIKE(`t0`.`event_id`, '[^ ]')
  ) AS `t4`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      'browser' AS `side`,
      `t1`.`event_uid`,
      `t1`.`pixel_id`,
      `t1`.`event_name`,
      `t1`.`event_id`,
      `t1`.`event_time`,
      `t1`.`order_id`
    FROM `browser_events` AS `t1`
    WHERE
      `t1`.`source` <> 'mirror'
      AND `t1`.`event_id` IS NOT NULL
      AND REGEXP_LIKE(`t1`.`event_id`, '[^ ]')
  ) AS `t5`
), `t15` AS (
  SELECT
    `t8`.`side`,
    `t8`.`event_uid`,
    `t8`.`pixel_id`,
    `t8`.`event_name`,
    `t8`.`event_id`,
    `t8`.`event_time`,
    `t8`.`order_id`
  FROM `t6` AS `t8`
  LEFT SEMI JOIN (
    SELECT DISTINCT
      `t7`.`pixel_id`,
      `t7`.`event_id`
    FROM `t6` AS `t7`
    WHERE
      TRUE
      AND `t7`.`event_time` >= CAST('2026-10-01T00:00:00' AS TIMESTAMP)
      AND `t7`.`event_time` < CAST('2026-11-01T00:00:00' AS TIMESTAMP)
  ) AS `t14`
    ON `t8`.`pixel_id` IS NOT DISTINCT FROM `t14`.`pixel_id`
    AND `t8`.`event_id` = `t14`.`event_id`
), `t18` AS (
  SELECT
    `t16`.`side`,
    `t16`.`pixel_id`,
    `t16`.`event_name`,
    `t16`.`event_id`,
    COUNT(*) AS `n`,
    MIN(`t16`.`event_time`) AS `t0`,
    MAX(`t16`.`event_time`) AS `t1`,
    MIN(`t16`.`order_id`) <> MAX(`t16`.`order_id`) AS `orders`
  FROM `t15` AS `t16`
  GROUP BY
    1,
    2,
    3,
    4
), `t30` AS (
  SELECT
    `t27`.`side`,
    `t27`.`event_uid`,
    `t27`.`pixel_id`,
    `t27`.`event_name`,
    `t27`.`event_id`,
    `t27`.`event_time`,
    `t27`.`order_id`,
    `t27`.`cluster_start`,
    (
      ROW_NUMBER() OVER (
        PARTITION BY `t27`.`side`, `t27`.`pixel_id`, `t27`.`event_name`, `t27`.`event_id`, `t27`.`cluster_start`
        ORDER BY `t27`.`event_time` ASC NULLS LAST, `t27`.`event_uid` ASC NULLS LAST
      ) - 1
    ) > 0 AS `repeat`
  FROM (
    SELECT
      `t21`.`side`,
      `t21`.`event_uid`,
      `t21`.`pixel_id`,
      `t21`.`event_name`,
      `t21`.`event_id`,
      `t21`.`event_time`,
      `t21`.`order_id`,
      COALESCE(`t21`.`long_start`, `t21`.`t0`) AS `cluster_start`
    FROM (
      SELECT
        `t19`.`side`,
        `t19`.`event_uid`,
        `t19`.`pixel_id`,
        `t19`.`event_name`,
        `t19`.`event_id`,
        `t19`.`event_time`,
        `t19`.`order_id`,
        `t19`.`t0`,
        `t3`.`long_start`
      FROM (
        SELECT
          `t16`.`side`,
          `t16`.`event_uid`,
          `t16`.`pixel_id`,
          `t16`.`event_name`,
          `t16`.`event_id`,
          `t16`.`event_time`,
          `t16`.`order_id`,
          MIN(`t16`.`event_time`) OVER (
            PARTITION BY `t16`.`side`, `t16`.`pixel_id`, `t16`.`event_name`, `t16`.`event_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `t0`
        FROM `t15` AS `t16`
      ) AS `t19`
      LEFT OUTER JOIN `long_starts` AS `t3`
        ON `t19`.`side` = `t3`.`side` AND `t19`.`event_uid` = `t3`.`event_uid`
    ) AS `t21`
  ) AS `t27`
), `t38` AS (
  SELECT
    `t35`.`pixel_id`,
    `t35`.`event_name`,
    `t35`.`event_id`,
    `t37`.`b_name`,
    `t35`.`cluster_start` AS `s_start`
  FROM (
    SELECT DISTINCT
      `t31`.`side`,
      `t31`.`pixel_id`,
      `t31`.`event_name`,
      `t31`.`event_id`,
      `t31`.`cluster_start`
    FROM `t30` AS `t31`
    WHERE
      `t31`.`side` = 'server'
  ) AS `t35`
  INNER JOIN (
    SELECT
      `t34`.`pixel_id` AS `b_pixel`,
      `t34`.`event_id` AS `b_id`,
      `t34`.`event_name` AS `b_name`,
      `t34`.`cluster_start` AS `b_start`
    FROM (
      SELECT DISTINCT
        `t31`.`side`,
        `t31`.`pixel_id`,
        `t31`.`event_name`,
        `t31`.`event_id`,
        `t31`.`cluster_start`
      FROM `t30` AS `t31`
      WHERE
        `t31`.`side` = 'browser'
    ) AS `t34`
  ) AS `t37`
    ON `t35`.`pixel_id` = `t37`.`b_pixel`
    AND `t35`.`event_id` = `t37`.`b_id`
    AND `t37`.`b_start` <= (
      `t35`.`cluster_start` + INTERVAL '48' HOUR
    )
    AND `t35`.`cluster_start` <= (
      `t37`.`b_start` + INTERVAL '48' HOUR
    )
    AND (
      (
        `t37`.`b_name` = `t35`.`event_name`
      )
      OR (
        LOWER(REGEXP_REPLACE(`t37`.`b_name`, '\\s', '')) = LOWER(REGEXP_REPLACE(`t35`.`event_name`, '\\s', ''))
      )
    )
), `t45` AS (
  SELECT
    `t41`.`pixel_id`,
    `t41`.`event_name`,
    `t41`.`event_id`,
    MIN(`t41`.`s_start`) AS `mismatch_at`
  FROM (
    SELECT
      *
    FROM `t38` AS `t39`
    WHERE
      `t39`.`b_name` <> `t39`.`event_name`
  ) AS `t41`
  GROUP BY
    1,
    2,
    3
), `t61` AS (
  SELECT
    `t32`.`side` AS `f_side`,
    `t32`.`event_uid` AS `f_uid`,
    `t60`.`k_id` IS NOT NULL AS `k_matched`,
    `t32`.`repeat` AS `is_repeat`
  FROM `t30` AS `t32`
  LEFT OUTER JOIN (
    SELECT
      `t58`.`pixel_id` AS `k_pixel`,
      `t58`.`event_name` AS `k_name`,
      `t58`.`event_id` AS `k_id`
    FROM (
      SELECT
        `t29`.`pixel_id`,
        `t29`.`event_name`,
        `t29`.`event_id`,
        `t29`.`first_at`,
        `t29`.`last_at`,
        `t29`.`has_server`,
        `t29`.`has_browser`,
        `t51`.`m_id` IS NOT NULL AS `matched`,
        COALESCE(`t29`.`reused_server`, FALSE) AS `reused_server`,
        COALESCE(`t29`.`reused_browser`, FALSE) AS `reused_browser`,
        `t57`.`mm_id` IS NOT NULL AS `name_mismatch`,
        `t57`.`mm_first`,
        `t57`.`mm_last`,
        `t51`.`matched_at`,
        `t57`.`mismatch_at`
      FROM (
        SELECT
          `t22`.`pixel_id`,
          `t22`.`event_name`,
          `t22`.`event_id`,
          MIN(`t22`.`t0`) AS `first_at`,
          MAX(`t22`.`t1`) AS `last_at`,
          BOOL_OR(`t22`.`side` = 'server') AS `has_server`,
          BOOL_OR(`t22`.`side` = 'browser') AS `has_browser`,
          BOOL_OR(
            (
              `t22`.`side` = 'server'
            )
            AND (
              `t22`.`long` OR COALESCE(`t22`.`orders`, FALSE)
            )
          ) AS `reused_server`,
          BOOL_OR(
            (
              `t22`.`side` = 'browser'
            )
            AND (
              `t22`.`long` OR COALESCE(`t22`.`orders`, FALSE)
            )
          ) AS `reused_browser`
        FROM (
          SELECT
            `t20`.`side`,
            `t20`.`pixel_id`,
            `t20`.`event_name`,
            `t20`.`event_id`,
            `t20`.`n`,
            `t20`.`t0`,
            `t20`.`t1`,
            `t20`.`orders`,
            `t20`.`t1` > (
              `t20`.`t0` + INTERVAL '48' HOUR
            ) AS `long`
          FROM `t18` AS `t20`
        ) AS `t22`
        GROUP BY
          1,
          2,
          3
      ) AS `t29`
      LEFT OUTER JOIN (
        SELECT
          `t44`.`pixel_id` AS `m_pixel`,
          `t44`.`event_name` AS `m_name`,
          `t44`.`event_id` AS `m_id`,
          `t44`.`matched_at`
        FROM (
          SELECT
            `t40`.`pixel_id`,
            `t40`.`event_name`,
            `t40`.`event_id`,
            MIN(`t40`.`s_start`) AS `matched_at`
          FROM (
            SELECT
              *
            FROM `t38` AS `t39`
            WHERE
              `t39`.`b_name` = `t39`.`event_name`
          ) AS `t40`
          GROUP BY
            1,
            2,
            3
        ) AS `t44`
      ) AS `t51`
        ON `t29`.`pixel_id` = `t51`.`m_pixel`
        AND `t29`.`event_name` = `t51`.`m_name`
        AND `t29`.`event_id` = `t51`.`m_id`
      LEFT OUTER JOIN (
        SELECT
          `t55`.`pixel_id` AS `mm_pixel`,
          `t55`.`event_name` AS `mm_name`,
          `t55`.`event_id` AS `mm_id`,
          `t55`.`mm_first`,
          `t55`.`mm_last`,
          `t48`.`mismatch_at`
        FROM (
          SELECT
            `t53`.`pixel_id`,
            `t53`.`event_name`,
            `t53`.`event_id`,
            MIN(`t53`.`t0`) AS `mm_first`,
            MAX(`t53`.`t1`) AS `mm_last`
          FROM (
            SELECT
              *
            FROM (
              SELECT
                `t49`.`pixel_id`,
                `t49`.`event_name`,
                `t49`.`event_id`,
                `t25`.`t0`,
                `t25`.`t1`
              FROM `t45` AS `t49`
              INNER JOIN (
                SELECT
                  `t20`.`side`,
                  `t20`.`pixel_id`,
                  `t20`.`event_name`,
                  `t20`.`event_id`,
                  `t20`.`n`,
                  `t20`.`t0`,
                  `t20`.`t1`,
                  `t20`.`orders`,
                  `t20`.`t1` > (
                    `t20`.`t0` + INTERVAL '48' HOUR
                  ) AS `long`
                FROM `t18` AS `t20`
                WHERE
                  `t20`.`side` = 'server'
              ) AS `t25`
                ON `t49`.`pixel_id` = `t25`.`pixel_id`
                AND `t49`.`event_name` = `t25`.`event_name`
                AND `t49`.`event_id` = `t25`.`event_id`
            ) AS `t52`
            UNION ALL
            SELECT
              *
            FROM (
              SELECT
                `t43`.`pixel_id`,
                `t43`.`event_name`,
                `t43`.`event_id`,
                `t26`.`t0`,
                `t26`.`t1`
              FROM (
                SELECT DISTINCT
                  `t39`.`pixel_id`,
                  `t39`.`event_name`,
                  `t39`.`event_id`,
                  `t39`.`b_name`
                FROM `t38` AS `t39`
                WHERE
                  `t39`.`b_name` <> `t39`.`event_name`
              ) AS `t43`
              INNER JOIN (
                SELECT
                  `t20`.`side`,
                  `t20`.`pixel_id`,
                  `t20`.`event_name`,
                  `t20`.`event_id`,
                  `t20`.`n`,
                  `t20`.`t0`,
                  `t20`.`t1`,
                  `t20`.`orders`,
                  `t20`.`t1` > (
                    `t20`.`t0` + INTERVAL '48' HOUR
                  ) AS `long`
                FROM `t18` AS `t20`
                WHERE
                  `t20`.`side` = 'browser'
              ) AS `t26`
                ON `t43`.`pixel_id` = `t26`.`pixel_id`
                AND `t43`.`event_id` = `t26`.`event_id`
                AND `t43`.`b_name` = `t26`.`event_name`
            ) AS `t50`
          ) AS `t53`
          GROUP BY
            1,
            2,
            3
        ) AS `t55`
        INNER JOIN `t45` AS `t48`
          ON `t55`.`pixel_id` = `t48`.`pixel_id`
          AND `t55`.`event_name` = `t48`.`event_name`
          AND `t55`.`event_id` = `t48`.`event_id`
      ) AS `t57`
        ON `t29`.`pixel_id` = `t57`.`mm_pixel`
        AND `t29`.`event_name` = `t57`.`mm_name`
        AND `t29`.`event_id` = `t57`.`mm_id`
    ) AS `t58`
    WHERE
      `t58`.`matched`
  ) AS `t60`
    ON `t32`.`pixel_id` = `t60`.`k_pixel`
    AND `t32`.`event_name` = `t60`.`k_name`
    AND `t32`.`event_id` = `t60`.`k_id`
)
SELECT
  *
FROM (
  SELECT
    `t70`.`pixel_id`,
    `t70`.`event_name`,
    'server' AS `side`,
    `t70`.`bucket`,
    `t70`.`n`,
    `t70`.`lint_n`,
    `t70`.`with_id`,
    `t70`.`matched`,
    `t70`.`repeats`,
    `t70`.`website`,
    `t70`.`opt_out`,
    `t70`.`ldu`,
    `t70`.`p_em`,
    `t70`.`v_em`,
    `t70`.`p_ph`,
    `t70`.`v_ph`,
    `t70`.`p_fn`,
    `t70`.`v_fn`,
    `t70`.`p_ln`,
    `t70`.`v_ln`,
    `t70`.`p_ge`,
    `t70`.`v_ge`,
    `t70`.`p_db`,
    `t70`.`v_db`,
    `t70`.`p_ct`,
    `t70`.`v_ct`,
    `t70`.`p_st`,
    `t70`.`v_st`,
    `t70`.`p_zp`,
    `t70`.`v_zp`,
    `t70`.`p_country`,
    `t70`.`v_country`,
    `t70`.`p_external_id`,
    `t70`.`v_external_id`,
    `t70`.`p_client_ip_address`,
    `t70`.`v_client_ip_address`,
    `t70`.`p_client_user_agent`,
    `t70`.`v_client_user_agent`,
    `t70`.`p_fbc`,
    `t70`.`v_fbc`,
    `t70`.`p_fbp`,
    `t70`.`v_fbp`
  FROM (
    SELECT
      `t67`.`pixel_id`,
      `t67`.`event_name`,
      `t67`.`bucket`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted`, FALSE) AS BIGINT)), 0) AS `n`,
      COUNT(*) AS `lint_n`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`has_id`, FALSE) AS BIGINT)), 0) AS `with_id`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`k_matched`, FALSE) AS BIGINT)), 0) AS `matched`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`is_repeat`, FALSE) AS BIGINT)), 0) AS `repeats`,
      COALESCE(
        SUM(
          CAST(COALESCE(`t67`.`counted` AND (
            `t67`.`action_source` = 'website'
          ), FALSE) AS BIGINT)
        ),
        0
      ) AS `website`,
      COALESCE(
        SUM(
          CAST(COALESCE(`t67`.`counted` AND COALESCE(`t67`.`opt_out`, FALSE), FALSE) AS BIGINT)
        ),
        0
      ) AS `opt_out`,
      COALESCE(
        SUM(
          CAST(COALESCE(`t67`.`counted` AND COALESCE(`t67`.`ldu`, FALSE), FALSE) AS BIGINT)
        ),
        0
      ) AS `ldu`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`em_p`, FALSE) AS BIGINT)), 0) AS `p_em`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`em_v`, FALSE) AS BIGINT)), 0) AS `v_em`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ph_p`, FALSE) AS BIGINT)), 0) AS `p_ph`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ph_v`, FALSE) AS BIGINT)), 0) AS `v_ph`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`fn_p`, FALSE) AS BIGINT)), 0) AS `p_fn`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`fn_v`, FALSE) AS BIGINT)), 0) AS `v_fn`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ln_p`, FALSE) AS BIGINT)), 0) AS `p_ln`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ln_v`, FALSE) AS BIGINT)), 0) AS `v_ln`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ge_p`, FALSE) AS BIGINT)), 0) AS `p_ge`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ge_v`, FALSE) AS BIGINT)), 0) AS `v_ge`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`db_p`, FALSE) AS BIGINT)), 0) AS `p_db`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`db_v`, FALSE) AS BIGINT)), 0) AS `v_db`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ct_p`, FALSE) AS BIGINT)), 0) AS `p_ct`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`ct_v`, FALSE) AS BIGINT)), 0) AS `v_ct`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`st_p`, FALSE) AS BIGINT)), 0) AS `p_st`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`st_v`, FALSE) AS BIGINT)), 0) AS `v_st`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`zp_p`, FALSE) AS BIGINT)), 0) AS `p_zp`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`zp_v`, FALSE) AS BIGINT)), 0) AS `v_zp`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`country_p`, FALSE) AS BIGINT)), 0) AS `p_country`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`country_v`, FALSE) AS BIGINT)), 0) AS `v_country`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`external_id_p`, FALSE) AS BIGINT)), 0) AS `p_external_id`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`external_id_v`, FALSE) AS BIGINT)), 0) AS `v_external_id`,
      COALESCE(
        SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`client_ip_address_p`, FALSE) AS BIGINT)),
        0
      ) AS `p_client_ip_address`,
      COALESCE(
        SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`client_ip_address_v`, FALSE) AS BIGINT)),
        0
      ) AS `v_client_ip_address`,
      COALESCE(
        SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`client_user_agent_p`, FALSE) AS BIGINT)),
        0
      ) AS `p_client_user_agent`,
      COALESCE(
        SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`client_user_agent_v`, FALSE) AS BIGINT)),
        0
      ) AS `v_client_user_agent`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`fbc_p`, FALSE) AS BIGINT)), 0) AS `p_fbc`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`fbc_v`, FALSE) AS BIGINT)), 0) AS `v_fbc`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`fbp_p`, FALSE) AS BIGINT)), 0) AS `p_fbp`,
      COALESCE(SUM(CAST(COALESCE(`t67`.`counted` AND `t67`.`fbp_v`, FALSE) AS BIGINT)), 0) AS `v_fbp`
    FROM (
      SELECT
        `t11`.`event_uid`,
        `t11`.`pixel_id`,
        `t11`.`event_name`,
        `t11`.`event_id`,
        `t11`.`event_time`,
        `t11`.`order_id`,
        `t11`.`rejected`,
        `t11`.`test_event_code`,
        `t11`.`action_source`,
        `t11`.`opt_out`,
        `t11`.`ldu`,
        `t11`.`em_p`,
        `t11`.`em_v`,
        `t11`.`ph_p`,
        `t11`.`ph_v`,
        `t11`.`fn_p`,
        `t11`.`fn_v`,
        `t11`.`ln_p`,
        `t11`.`ln_v`,
        `t11`.`ge_p`,
        `t11`.`ge_v`,
        `t11`.`db_p`,
        `t11`.`db_v`,
        `t11`.`ct_p`,
        `t11`.`ct_v`,
        `t11`.`st_p`,
        `t11`.`st_v`,
        `t11`.`zp_p`,
        `t11`.`zp_v`,
        `t11`.`country_p`,
        `t11`.`country_v`,
        `t11`.`external_id_p`,
        `t11`.`external_id_v`,
        `t11`.`client_ip_address_p`,
        `t11`.`client_ip_address_v`,
        `t11`.`client_user_agent_p`,
        `t11`.`client_user_agent_v`,
        `t11`.`fbc_p`,
        `t11`.`fbc_v`,
        `t11`.`fbp_p`,
        `t11`.`fbp_v`,
        `t11`.`date`,
        `t11`.`counted`,
        `t11`.`has_id`,
        `t11`.`bucket`,
        COALESCE(`t65`.`k_matched`, FALSE) AS `k_matched`,
        COALESCE(`t65`.`is_repeat`, FALSE) AS `is_repeat`
      FROM (
        SELECT
          `t0`.`event_uid`,
          `t0`.`pixel_id`,
          `t0`.`event_name`,
          `t0`.`event_id`,
          `t0`.`event_time`,
          `t0`.`order_id`,
          `t0`.`rejected`,
          `t0`.`test_event_code`,
          `t0`.`action_source`,
          `t0`.`opt_out`,
          `t0`.`ldu`,
          `t0`.`em_p`,
          `t0`.`em_v`,
          `t0`.`ph_p`,
          `t0`.`ph_v`,
          `t0`.`fn_p`,
          `t0`.`fn_v`,
          `t0`.`ln_p`,
          `t0`.`ln_v`,
          `t0`.`ge_p`,
          `t0`.`ge_v`,
          `t0`.`db_p`,
          `t0`.`db_v`,
          `t0`.`ct_p`,
          `t0`.`ct_v`,
          `t0`.`st_p`,
          `t0`.`st_v`,
          `t0`.`zp_p`,
          `t0`.`zp_v`,
          `t0`.`country_p`,
          `t0`.`country_v`,
          `t0`.`external_id_p`,
          `t0`.`external_id_v`,
          `t0`.`client_ip_address_p`,
          `t0`.`client_ip_address_v`,
          `t0`.`client_user_agent_p`,
          `t0`.`client_user_agent_v`,
          `t0`.`fbc_p`,
          `t0`.`fbc_v`,
          `t0`.`fbp_p`,
          `t0`.`fbp_v`,
          `t0`.`date`,
          NOT (
            `t0`.`rejected`
          ) AND (
            `t0`.`test_event_code` IS NULL
          ) AS `counted`,
          (
            `t0`.`event_id` IS NOT NULL
          ) AND REGEXP_LIKE(`t0`.`event_id`, '[^ ]') AS `has_id`,
          DATE_TRUNC('hour', `t0`.`event_time`) + CAST(CONCAT(
            CAST(FLOOR((
              EXTRACT(minute FROM `t0`.`event_time`)
            ) / (
              15
            )) AS BIGINT) * 15,
            ' minutes'
          ) AS INTERVAL) AS `bucket`
        FROM `server_events` AS `t0`
        WHERE
          TRUE
          AND `t0`.`event_time` >= CAST('2026-10-01T00:00:00' AS TIMESTAMP)
          AND `t0`.`event_time` < CAST('2026-11-01T00:00:00' AS TIMESTAMP)
          AND `t0`.`date` >= MAKE_DATE(2026, 10, 1)
          AND `t0`.`date` <= MAKE_DATE(2026, 10, 31)
      ) AS `t11`
      LEFT OUTER JOIN (
        SELECT
          *
        FROM `t61` AS `t62`
        WHERE
          `t62`.`f_side` = 'server'
      ) AS `t65`
        ON `t11`.`event_uid` = `t65`.`f_uid`
    ) AS `t67`
    GROUP BY
      1,
      2,
      3
  ) AS `t70`
) AS `t72`
UNION ALL
SELECT
  *
FROM (
  SELECT
    `t69`.`pixel_id`,
    `t69`.`event_name`,
    'browser' AS `side`,
    `t69`.`bucket`,
    `t69`.`n`,
    `t69`.`lint_n`,
    `t69`.`with_id`,
    `t69`.`matched`,
    `t69`.`repeats`,
    0 AS `website`,
    0 AS `opt_out`,
    0 AS `ldu`,
    0 AS `p_em`,
    0 AS `v_em`,
    0 AS `p_ph`,
    0 AS `v_ph`,
    0 AS `p_fn`,
    0 AS `v_fn`,
    0 AS `p_ln`,
    0 AS `v_ln`,
    0 AS `p_ge`,
    0 AS `v_ge`,
    0 AS `p_db`,
    0 AS `v_db`,
    0 AS `p_ct`,
    0 AS `v_ct`,
    0 AS `p_st`,
    0 AS `v_st`,
    0 AS `p_zp`,
    0 AS `v_zp`,
    0 AS `p_country`,
    0 AS `v_country`,
    0 AS `p_external_id`,
    0 AS `v_external_id`,
    0 AS `p_client_ip_address`,
    0 AS `v_client_ip_address`,
    0 AS `p_client_user_agent`,
    0 AS `v_client_user_agent`,
    0 AS `p_fbc`,
    0 AS `v_fbc`,
    0 AS `p_fbp`,
    0 AS `v_fbp`
  FROM (
    SELECT
      `t68`.`pixel_id`,
      `t68`.`event_name`,
      `t68`.`bucket`,
      COALESCE(SUM(CAST(COALESCE(`t68`.`counted`, FALSE) AS BIGINT)), 0) AS `n`,
      COUNT(*) AS `lint_n`,
      COALESCE(SUM(CAST(COALESCE(`t68`.`counted` AND `t68`.`has_id`, FALSE) AS BIGINT)), 0) AS `with_id`,
      COALESCE(SUM(CAST(COALESCE(`t68`.`counted` AND `t68`.`k_matched`, FALSE) AS BIGINT)), 0) AS `matched`,
      COALESCE(SUM(CAST(COALESCE(`t68`.`counted` AND `t68`.`is_repeat`, FALSE) AS BIGINT)), 0) AS `repeats`
    FROM (
      SELECT
        `t12`.`event_uid`,
        `t12`.`pixel_id`,
        `t12`.`event_name`,
        `t12`.`event_id`,
        `t12`.`event_time`,
        `t12`.`order_id`,
        `t12`.`source`,
        `t12`.`date`,
        `t12`.`counted`,
        `t12`.`has_id`,
        `t12`.`bucket`,
        COALESCE(`t66`.`k_matched`, FALSE) AS `k_matched`,
        COALESCE(`t66`.`is_repeat`, FALSE) AS `is_repeat`
      FROM (
        SELECT
          `t1`.`event_uid`,
          `t1`.`pixel_id`,
          `t1`.`event_name`,
          `t1`.`event_id`,
          `t1`.`event_time`,
          `t1`.`order_id`,
          `t1`.`source`,
          `t1`.`date`,
          TRUE AS `counted`,
          (
            `t1`.`event_id` IS NOT NULL
          ) AND REGEXP_LIKE(`t1`.`event_id`, '[^ ]') AS `has_id`,
          DATE_TRUNC('hour', `t1`.`event_time`) + CAST(CONCAT(
            CAST(FLOOR((
              EXTRACT(minute FROM `t1`.`event_time`)
            ) / (
              15
            )) AS BIGINT) * 15,
            ' minutes'
          ) AS INTERVAL) AS `bucket`
        FROM `browser_events` AS `t1`
        WHERE
          TRUE
          AND `t1`.`event_time` >= CAST('2026-10-01T00:00:00' AS TIMESTAMP)
          AND `t1`.`event_time` < CAST('2026-11-01T00:00:00' AS TIMESTAMP)
          AND `t1`.`date` >= MAKE_DATE(2026, 10, 1)
          AND `t1`.`date` <= MAKE_DATE(2026, 10, 31)
          AND `t1`.`source` <> 'mirror'
      ) AS `t12`
      LEFT OUTER JOIN (
        SELECT
          *
        FROM `t61` AS `t62`
        WHERE
          `t62`.`f_side` = 'browser'
      ) AS `t66`
        ON `t12`.`event_uid` = `t66`.`f_uid`
    ) AS `t68`
    GROUP BY
      1,
      2,
      3
  ) AS `t69`
) AS `t71`;
