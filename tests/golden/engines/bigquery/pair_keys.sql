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
  ) AS `t5`
), `t11` AS (
  SELECT
    `t8`.`side`,
    `t8`.`event_uid`,
    `t8`.`pixel_id`,
    `t8`.`event_name`,
    `t8`.`event_id`,
    `t8`.`event_time`,
    `t8`.`order_id`
  FROM `t6` AS `t8`
  WHERE
    EXISTS(
      SELECT
        1
      FROM (
        SELECT DISTINCT
          `t7`.`pixel_id`,
          `t7`.`event_id`
        FROM `t6` AS `t7`
        WHERE
          TRUE
          AND `t7`.`event_time` >= DATETIME('2026-10-01T00:00:00')
          AND `t7`.`event_time` < DATETIME('2026-11-01T00:00:00')
      ) AS `t10`
      WHERE
        `t8`.`pixel_id` IS NOT DISTINCT FROM `t10`.`pixel_id`
        AND `t8`.`event_id` = `t10`.`event_id`
    )
), `t14` AS (
  SELECT
    `t12`.`side`,
    `t12`.`pixel_id`,
    `t12`.`event_name`,
    `t12`.`event_id`,
    COUNT(*) AS `n`,
    MIN(`t12`.`event_time`) AS `t0`,
    MAX(`t12`.`event_time`) AS `t1`,
    MIN(`t12`.`order_id`) <> MAX(`t12`.`order_id`) AS `orders`
  FROM `t11` AS `t12`
  GROUP BY
    1,
    2,
    3,
    4
), `t26` AS (
  SELECT
    `t23`.`side`,
    `t23`.`event_uid`,
    `t23`.`pixel_id`,
    `t23`.`event_name`,
    `t23`.`event_id`,
    `t23`.`event_time`,
    `t23`.`order_id`,
    `t23`.`cluster_start`,
    (
      ROW_NUMBER() OVER (
        PARTITION BY `t23`.`side`, `t23`.`pixel_id`, `t23`.`event_name`, `t23`.`event_id`, `t23`.`cluster_start`
        ORDER BY `t23`.`event_time` ASC, `t23`.`event_uid` ASC
      ) - 1
    ) > 0 AS `repeat`
  FROM (
    SELECT
      `t17`.`side`,
      `t17`.`event_uid`,
      `t17`.`pixel_id`,
      `t17`.`event_name`,
      `t17`.`event_id`,
      `t17`.`event_time`,
      `t17`.`order_id`,
      COALESCE(`t17`.`long_start`, `t17`.`t0`) AS `cluster_start`
    FROM (
      SELECT
        `t15`.`side`,
        `t15`.`event_uid`,
        `t15`.`pixel_id`,
        `t15`.`event_name`,
        `t15`.`event_id`,
        `t15`.`event_time`,
        `t15`.`order_id`,
        `t15`.`t0`,
        `t3`.`long_start`
      FROM (
        SELECT
          `t12`.`side`,
          `t12`.`event_uid`,
          `t12`.`pixel_id`,
          `t12`.`event_name`,
          `t12`.`event_id`,
          `t12`.`event_time`,
          `t12`.`order_id`,
          MIN(`t12`.`event_time`) OVER (
            PARTITION BY `t12`.`side`, `t12`.`pixel_id`, `t12`.`event_name`, `t12`.`event_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `t0`
        FROM `t11` AS `t12`
      ) AS `t15`
      LEFT OUTER JOIN `long_starts` AS `t3`
        ON `t15`.`side` = `t3`.`side` AND `t15`.`event_uid` = `t3`.`event_uid`
    ) AS `t17`
  ) AS `t23`
), `t33` AS (
  SELECT
    `t30`.`pixel_id`,
    `t30`.`event_name`,
    `t30`.`event_id`,
    `t32`.`b_name`,
    `t30`.`cluster_start` AS `s_start`
  FROM (
    SELECT DISTINCT
      `t27`.`side`,
      `t27`.`pixel_id`,
      `t27`.`event_name`,
      `t27`.`event_id`,
      `t27`.`cluster_start`
    FROM `t26` AS `t27`
    WHERE
      `t27`.`side` = 'server'
  ) AS `t30`
  INNER JOIN (
    SELECT
      `t29`.`pixel_id` AS `b_pixel`,
      `t29`.`event_id` AS `b_id`,
      `t29`.`event_name` AS `b_name`,
      `t29`.`cluster_start` AS `b_start`
    FROM (
      SELECT DISTINCT
        `t27`.`side`,
        `t27`.`pixel_id`,
        `t27`.`event_name`,
        `t27`.`event_id`,
        `t27`.`cluster_start`
      FROM `t26` AS `t27`
      WHERE
        `t27`.`side` = 'browser'
    ) AS `t29`
  ) AS `t32`
    ON `t30`.`pixel_id` = `t32`.`b_pixel`
    AND `t30`.`event_id` = `t32`.`b_id`
    AND `t32`.`b_start` <= TIMESTAMP_ADD(`t30`.`cluster_start`, INTERVAL '48' HOUR)
    AND `t30`.`cluster_start` <= TIMESTAMP_ADD(`t32`.`b_start`, INTERVAL '48' HOUR)
    AND (
      (
        `t32`.`b_name` = `t30`.`event_name`
      )
      OR (
        LOWER(REGEXP_REPLACE(`t32`.`b_name`, '\\s', '')) = LOWER(REGEXP_REPLACE(`t30`.`event_name`, '\\s', ''))
      )
    )
), `t40` AS (
  SELECT
    `t36`.`pixel_id`,
    `t36`.`event_name`,
    `t36`.`event_id`,
    MIN(`t36`.`s_start`) AS `mismatch_at`
  FROM (
    SELECT
      *
    FROM `t33` AS `t34`
    WHERE
      `t34`.`b_name` <> `t34`.`event_name`
  ) AS `t36`
  GROUP BY
    1,
    2,
    3
)
SELECT
  `t25`.`pixel_id`,
  `t25`.`event_name`,
  `t25`.`event_id`,
  `t25`.`first_at`,
  `t25`.`last_at`,
  `t25`.`has_server`,
  `t25`.`has_browser`,
  `t46`.`m_id` IS NOT NULL AS `matched`,
  COALESCE(`t25`.`reused_server`, FALSE) AS `reused_server`,
  COALESCE(`t25`.`reused_browser`, FALSE) AS `reused_browser`,
  `t52`.`mm_id` IS NOT NULL AS `name_mismatch`,
  `t52`.`mm_first`,
  `t52`.`mm_last`,
  `t46`.`matched_at`,
  `t52`.`mismatch_at`
FROM (
  SELECT
    `t18`.`pixel_id`,
    `t18`.`event_name`,
    `t18`.`event_id`,
    MIN(`t18`.`t0`) AS `first_at`,
    MAX(`t18`.`t1`) AS `last_at`,
    LOGICAL_OR(`t18`.`side` = 'server') AS `has_server`,
    LOGICAL_OR(`t18`.`side` = 'browser') AS `has_browser`,
    LOGICAL_OR(
      (
        `t18`.`side` = 'server'
      )
      AND (
        `t18`.`long` OR COALESCE(`t18`.`orders`, FALSE)
      )
    ) AS `reused_server`,
    LOGICAL_OR(
      (
        `t18`.`side` = 'browser'
      )
      AND (
        `t18`.`long` OR COALESCE(`t18`.`orders`, FALSE)
      )
    ) AS `reused_browser`
  FROM (
    SELECT
      `t16`.`side`,
      `t16`.`pixel_id`,
      `t16`.`event_name`,
      `t16`.`event_id`,
      `t16`.`n`,
      `t16`.`t0`,
      `t16`.`t1`,
      `t16`.`orders`,
      `t16`.`t1` > TIMESTAMP_ADD(`t16`.`t0`, INTERVAL '48' HOUR) AS `long`
    FROM `t14` AS `t16`
  ) AS `t18`
  GROUP BY
    1,
    2,
    3
) AS `t25`
LEFT OUTER JOIN (
  SELECT
    `t39`.`pixel_id` AS `m_pixel`,
    `t39`.`event_name` AS `m_name`,
    `t39`.`event_id` AS `m_id`,
    `t39`.`matched_at`
  FROM (
    SELECT
      `t35`.`pixel_id`,
      `t35`.`event_name`,
      `t35`.`event_id`,
      MIN(`t35`.`s_start`) AS `matched_at`
    FROM (
      SELECT
        *
      FROM `t33` AS `t34`
      WHERE
        `t34`.`b_name` = `t34`.`event_name`
    ) AS `t35`
    GROUP BY
      1,
      2,
      3
  ) AS `t39`
) AS `t46`
  ON `t25`.`pixel_id` = `t46`.`m_pixel`
  AND `t25`.`event_name` = `t46`.`m_name`
  AND `t25`.`event_id` = `t46`.`m_id`
LEFT OUTER JOIN (
  SELECT
    `t50`.`pixel_id` AS `mm_pixel`,
    `t50`.`event_name` AS `mm_name`,
    `t50`.`event_id` AS `mm_id`,
    `t50`.`mm_first`,
    `t50`.`mm_last`,
    `t43`.`mismatch_at`
  FROM (
    SELECT
      `t48`.`pixel_id`,
      `t48`.`event_name`,
      `t48`.`event_id`,
      MIN(`t48`.`t0`) AS `mm_first`,
      MAX(`t48`.`t1`) AS `mm_last`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t44`.`pixel_id`,
          `t44`.`event_name`,
          `t44`.`event_id`,
          `t21`.`t0`,
          `t21`.`t1`
        FROM `t40` AS `t44`
        INNER JOIN (
          SELECT
            `t16`.`side`,
            `t16`.`pixel_id`,
            `t16`.`event_name`,
            `t16`.`event_id`,
            `t16`.`n`,
            `t16`.`t0`,
            `t16`.`t1`,
            `t16`.`orders`,
            `t16`.`t1` > TIMESTAMP_ADD(`t16`.`t0`, INTERVAL '48' HOUR) AS `long`
          FROM `t14` AS `t16`
          WHERE
            `t16`.`side` = 'server'
        ) AS `t21`
          ON `t44`.`pixel_id` = `t21`.`pixel_id`
          AND `t44`.`event_name` = `t21`.`event_name`
          AND `t44`.`event_id` = `t21`.`event_id`
      ) AS `t47`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          `t38`.`pixel_id`,
          `t38`.`event_name`,
          `t38`.`event_id`,
          `t22`.`t0`,
          `t22`.`t1`
        FROM (
          SELECT DISTINCT
            `t34`.`pixel_id`,
            `t34`.`event_name`,
            `t34`.`event_id`,
            `t34`.`b_name`
          FROM `t33` AS `t34`
          WHERE
            `t34`.`b_name` <> `t34`.`event_name`
        ) AS `t38`
        INNER JOIN (
          SELECT
            `t16`.`side`,
            `t16`.`pixel_id`,
            `t16`.`event_name`,
            `t16`.`event_id`,
            `t16`.`n`,
            `t16`.`t0`,
            `t16`.`t1`,
            `t16`.`orders`,
            `t16`.`t1` > TIMESTAMP_ADD(`t16`.`t0`, INTERVAL '48' HOUR) AS `long`
          FROM `t14` AS `t16`
          WHERE
            `t16`.`side` = 'browser'
        ) AS `t22`
          ON `t38`.`pixel_id` = `t22`.`pixel_id`
          AND `t38`.`event_id` = `t22`.`event_id`
          AND `t38`.`b_name` = `t22`.`event_name`
      ) AS `t45`
    ) AS `t48`
    GROUP BY
      1,
      2,
      3
  ) AS `t50`
  INNER JOIN `t40` AS `t43`
    ON `t50`.`pixel_id` = `t43`.`pixel_id`
    AND `t50`.`event_name` = `t43`.`event_name`
    AND `t50`.`event_id` = `t43`.`event_id`
) AS `t52`
  ON `t25`.`pixel_id` = `t52`.`mm_pixel`
  AND `t25`.`event_name` = `t52`.`mm_name`
  AND `t25`.`event_id` = `t52`.`mm_id`;
