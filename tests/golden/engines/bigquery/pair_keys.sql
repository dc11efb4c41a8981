WITH `t7` AS (
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
      AND REGEXP_CONTAINS(`t0`.`event_id`, '[^ ]')
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
      AND REGEXP_CONTAINS(`t1`.`event_id`, '[^ ]')
  ) AS `t6`
), `t14` AS (
  SELECT
    `t9`.`side`,
    `t9`.`event_uid`,
    `t9`.`pixel_id`,
    `t9`.`event_name`,
    `t9`.`event_id`,
    `t9`.`event_time`,
    `t9`.`order_id`
  FROM `t7` AS `t9`
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
              `t8`.`pixel_id`,
              `t8`.`event_id`
            FROM `t7` AS `t8`
            WHERE
              TRUE
              AND `t8`.`event_time` >= DATETIME('2026-10-01T00:00:00')
              AND `t8`.`event_time` < DATETIME('2026-11-01T00:00:00')
          ) AS `t10`
          UNION ALL
          SELECT
            *
          FROM (
            SELECT
              `t0`.`pixel_id`,
              `t0`.`event_id`
            FROM `server_events` AS `t0`
            WHERE
              TRUE
              AND `t0`.`event_time` >= DATETIME('2026-10-01T00:00:00')
              AND `t0`.`event_time` < DATETIME('2026-11-01T00:00:00')
              AND `t0`.`date` >= DATE(2026, 10, 1)
              AND `t0`.`date` <= DATE(2026, 10, 31)
              AND `t0`.`event_id` IS NOT NULL
              AND REGEXP_CONTAINS(`t0`.`event_id`, '[^ ]')
          ) AS `t5`
        ) AS `t11`
      ) AS `t13`
      WHERE
        `t9`.`pixel_id` IS NOT DISTINCT FROM `t13`.`pixel_id`
        AND `t9`.`event_id` = `t13`.`event_id`
    )
), `t17` AS (
  SELECT
    `t15`.`side`,
    `t15`.`pixel_id`,
    `t15`.`event_name`,
    `t15`.`event_id`,
    COUNT(*) AS `n`,
    MIN(`t15`.`event_time`) AS `t0`,
    MAX(`t15`.`event_time`) AS `t1`,
    MIN(`t15`.`order_id`) <> MAX(`t15`.`order_id`) AS `orders`
  FROM `t14` AS `t15`
  GROUP BY
    1,
    2,
    3,
    4
), `t29` AS (
  SELECT
    `t26`.`side`,
    `t26`.`event_uid`,
    `t26`.`pixel_id`,
    `t26`.`event_name`,
    `t26`.`event_id`,
    `t26`.`event_time`,
    `t26`.`order_id`,
    `t26`.`cluster_start`,
    (
      ROW_NUMBER() OVER (
        PARTITION BY `t26`.`side`, `t26`.`pixel_id`, `t26`.`event_name`, `t26`.`event_id`, `t26`.`cluster_start`
        ORDER BY `t26`.`event_time` ASC, `t26`.`event_uid` ASC
      ) - 1
    ) > 0 AS `repeat`
  FROM (
    SELECT
      `t20`.`side`,
      `t20`.`event_uid`,
      `t20`.`pixel_id`,
      `t20`.`event_name`,
      `t20`.`event_id`,
      `t20`.`event_time`,
      `t20`.`order_id`,
      COALESCE(`t20`.`long_start`, `t20`.`t0`) AS `cluster_start`
    FROM (
      SELECT
        `t18`.`side`,
        `t18`.`event_uid`,
        `t18`.`pixel_id`,
        `t18`.`event_name`,
        `t18`.`event_id`,
        `t18`.`event_time`,
        `t18`.`order_id`,
        `t18`.`t0`,
        `t3`.`long_start`
      FROM (
        SELECT
          `t15`.`side`,
          `t15`.`event_uid`,
          `t15`.`pixel_id`,
          `t15`.`event_name`,
          `t15`.`event_id`,
          `t15`.`event_time`,
          `t15`.`order_id`,
          MIN(`t15`.`event_time`) OVER (
            PARTITION BY `t15`.`side`, `t15`.`pixel_id`, `t15`.`event_name`, `t15`.`event_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `t0`
        FROM `t14` AS `t15`
      ) AS `t18`
      LEFT OUTER JOIN `long_starts` AS `t3`
        ON `t18`.`side` = `t3`.`side` AND `t18`.`event_uid` = `t3`.`event_uid`
    ) AS `t20`
  ) AS `t26`
), `t36` AS (
  SELECT
    `t33`.`pixel_id`,
    `t33`.`event_name`,
    `t33`.`event_id`,
    `t35`.`b_name`,
    `t33`.`cluster_start` AS `s_start`
  FROM (
    SELECT DISTINCT
      `t30`.`side`,
      `t30`.`pixel_id`,
      `t30`.`event_name`,
      `t30`.`event_id`,
      `t30`.`cluster_start`
    FROM `t29` AS `t30`
    WHERE
      `t30`.`side` = 'server'
  ) AS `t33`
  INNER JOIN (
    SELECT
      `t32`.`pixel_id` AS `b_pixel`,
      `t32`.`event_id` AS `b_id`,
      `t32`.`event_name` AS `b_name`,
      `t32`.`cluster_start` AS `b_start`
    FROM (
      SELECT DISTINCT
        `t30`.`side`,
        `t30`.`pixel_id`,
        `t30`.`event_name`,
        `t30`.`event_id`,
        `t30`.`cluster_start`
      FROM `t29` AS `t30`
      WHERE
        `t30`.`side` = 'browser'
    ) AS `t32`
  ) AS `t35`
    ON `t33`.`pixel_id` = `t35`.`b_pixel`
    AND `t33`.`event_id` = `t35`.`b_id`
    AND `t35`.`b_start` <= TIMESTAMP_ADD(`t33`.`cluster_start`, INTERVAL '48' HOUR)
    AND `t33`.`cluster_start` <= TIMESTAMP_ADD(`t35`.`b_start`, INTERVAL '48' HOUR)
    AND (
      (
        `t35`.`b_name` = `t33`.`event_name`
      )
      OR (
        LOWER(REGEXP_REPLACE(`t35`.`b_name`, '\\s', '')) = LOWER(REGEXP_REPLACE(`t33`.`event_name`, '\\s', ''))
      )
    )
), `t43` AS (
  SELECT
    `t39`.`pixel_id`,
    `t39`.`event_name`,
    `t39`.`event_id`,
    MIN(`t39`.`s_start`) AS `mismatch_at`
  FROM (
    SELECT
      *
    FROM `t36` AS `t37`
    WHERE
      `t37`.`b_name` <> `t37`.`event_name`
  ) AS `t39`
  GROUP BY
    1,
    2,
    3
)
SELECT
  `t28`.`pixel_id`,
  `t28`.`event_name`,
  `t28`.`event_id`,
  `t28`.`first_at`,
  `t28`.`last_at`,
  `t28`.`has_server`,
  `t28`.`has_browser`,
  `t49`.`m_id` IS NOT NULL AS `matched`,
  COALESCE(`t28`.`reused_server`, FALSE) AS `reused_server`,
  COALESCE(`t28`.`reused_browser`, FALSE) AS `reused_browser`,
  `t55`.`mm_id` IS NOT NULL AS `name_mismatch`,
  `t55`.`mm_first`,
  `t55`.`mm_last`,
  `t49`.`matched_at`,
  `t55`.`mismatch_at`
FROM (
  SELECT
    `t21`.`pixel_id`,
    `t21`.`event_name`,
    `t21`.`event_id`,
    MIN(`t21`.`t0`) AS `first_at`,
    MAX(`t21`.`t1`) AS `last_at`,
    LOGICAL_OR(`t21`.`side` = 'server') AS `has_server`,
    LOGICAL_OR(`t21`.`side` = 'browser') AS `has_browser`,
    LOGICAL_OR(
      (
        `t21`.`side` = 'server'
      )
      AND (
        `t21`.`long` OR COALESCE(`t21`.`orders`, FALSE)
      )
    ) AS `reused_server`,
    LOGICAL_OR(
      (
        `t21`.`side` = 'browser'
      )
      AND (
        `t21`.`long` OR COALESCE(`t21`.`orders`, FALSE)
      )
    ) AS `reused_browser`
  FROM (
    SELECT
      `t19`.`side`,
      `t19`.`pixel_id`,
      `t19`.`event_name`,
      `t19`.`event_id`,
      `t19`.`n`,
      `t19`.`t0`,
      `t19`.`t1`,
      `t19`.`orders`,
      `t19`.`t1` > TIMESTAMP_ADD(`t19`.`t0`, INTERVAL '48' HOUR) AS `long`
    FROM `t17` AS `t19`
  ) AS `t21`
  GROUP BY
    1,
    2,
    3
) AS `t28`
LEFT OUTER JOIN (
  SELECT
    `t42`.`pixel_id` AS `m_pixel`,
    `t42`.`event_name` AS `m_name`,
    `t42`.`event_id` AS `m_id`,
    `t42`.`matched_at`
  FROM (
    SELECT
      `t38`.`pixel_id`,
      `t38`.`event_name`,
      `t38`.`event_id`,
      MIN(`t38`.`s_start`) AS `matched_at`
    FROM (
      SELECT
        *
      FROM `t36` AS `t37`
      WHERE
        `t37`.`b_name` = `t37`.`event_name`
    ) AS `t38`
    GROUP BY
      1,
      2,
      3
  ) AS `t42`
) AS `t49`
  ON `t28`.`pixel_id` = `t49`.`m_pixel`
  AND `t28`.`event_name` = `t49`.`m_name`
  AND `t28`.`event_id` = `t49`.`m_id`
LEFT OUTER JOIN (
  SELECT
    `t53`.`pixel_id` AS `mm_pixel`,
    `t53`.`event_name` AS `mm_name`,
    `t53`.`event_id` AS `mm_id`,
    `t53`.`mm_first`,
    `t53`.`mm_last`,
    `t46`.`mismatch_at`
  FROM (
    SELECT
      `t51`.`pixel_id`,
      `t51`.`event_name`,
      `t51`.`event_id`,
      MIN(`t51`.`t0`) AS `mm_first`,
      MAX(`t51`.`t1`) AS `mm_last`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t47`.`pixel_id`,
          `t47`.`event_name`,
          `t47`.`event_id`,
          `t24`.`t0`,
          `t24`.`t1`
        FROM `t43` AS `t47`
        INNER JOIN (
          SELECT
            `t19`.`side`,
            `t19`.`pixel_id`,
            `t19`.`event_name`,
            `t19`.`event_id`,
            `t19`.`n`,
            `t19`.`t0`,
            `t19`.`t1`,
            `t19`.`orders`,
            `t19`.`t1` > TIMESTAMP_ADD(`t19`.`t0`, INTERVAL '48' HOUR) AS `long`
          FROM `t17` AS `t19`
          WHERE
            `t19`.`side` = 'server'
        ) AS `t24`
          ON `t47`.`pixel_id` = `t24`.`pixel_id`
          AND `t47`.`event_name` = `t24`.`event_name`
          AND `t47`.`event_id` = `t24`.`event_id`
      ) AS `t50`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          `t41`.`pixel_id`,
          `t41`.`event_name`,
          `t41`.`event_id`,
          `t25`.`t0`,
          `t25`.`t1`
        FROM (
          SELECT DISTINCT
            `t37`.`pixel_id`,
            `t37`.`event_name`,
            `t37`.`event_id`,
            `t37`.`b_name`
          FROM `t36` AS `t37`
          WHERE
            `t37`.`b_name` <> `t37`.`event_name`
        ) AS `t41`
        INNER JOIN (
          SELECT
            `t19`.`side`,
            `t19`.`pixel_id`,
            `t19`.`event_name`,
            `t19`.`event_id`,
            `t19`.`n`,
            `t19`.`t0`,
            `t19`.`t1`,
            `t19`.`orders`,
            `t19`.`t1` > TIMESTAMP_ADD(`t19`.`t0`, INTERVAL '48' HOUR) AS `long`
          FROM `t17` AS `t19`
          WHERE
            `t19`.`side` = 'browser'
        ) AS `t25`
          ON `t41`.`pixel_id` = `t25`.`pixel_id`
          AND `t41`.`event_id` = `t25`.`event_id`
          AND `t41`.`b_name` = `t25`.`event_name`
      ) AS `t48`
    ) AS `t51`
    GROUP BY
      1,
      2,
      3
  ) AS `t53`
  INNER JOIN `t43` AS `t46`
    ON `t53`.`pixel_id` = `t46`.`pixel_id`
    AND `t53`.`event_name` = `t46`.`event_name`
    AND `t53`.`event_id` = `t46`.`event_id`
) AS `t55`
  ON `t28`.`pixel_id` = `t55`.`mm_pixel`
  AND `t28`.`event_name` = `t55`.`mm_name`
  AND `t28`.`event_id` = `t55`.`mm_id`;
