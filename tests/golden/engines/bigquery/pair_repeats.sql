WITH `t7` AS (
  SELECT
    *
  FROM (
    SELECT
      'server' AS `side`,
      `t1`.`event_uid`,
      `t1`.`pixel_id`,
      `t1`.`event_name`,
      `t1`.`event_id`,
      `t1`.`event_time`,
      `t1`.`order_id`
    FROM `server_events` AS `t1`
    WHERE
      NOT (
        `t1`.`rejected`
      )
      AND `t1`.`test_event_code` IS NULL
      AND `t1`.`event_id` IS NOT NULL
      AND REGEXP_CONTAINS(`t1`.`event_id`, '[^ ]')
  ) AS `t4`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      'browser' AS `side`,
      `t2`.`event_uid`,
      `t2`.`pixel_id`,
      `t2`.`event_name`,
      `t2`.`event_id`,
      `t2`.`event_time`,
      `t2`.`order_id`
    FROM `browser_events` AS `t2`
    WHERE
      `t2`.`source` <> 'mirror'
      AND `t2`.`event_id` IS NOT NULL
      AND REGEXP_CONTAINS(`t2`.`event_id`, '[^ ]')
  ) AS `t6`
)
SELECT
  `t19`.`side`,
  `t19`.`event_uid`,
  `t19`.`pixel_id`,
  `t19`.`event_id`
FROM (
  SELECT
    `t18`.`side`,
    `t18`.`event_uid`,
    `t18`.`pixel_id`,
    `t18`.`event_name`,
    `t18`.`event_id`,
    `t18`.`event_time`,
    `t18`.`order_id`,
    `t18`.`cluster_start`,
    (
      ROW_NUMBER() OVER (
        PARTITION BY `t18`.`side`, `t18`.`pixel_id`, `t18`.`event_name`, `t18`.`event_id`, `t18`.`cluster_start`
        ORDER BY `t18`.`event_time` ASC, `t18`.`event_uid` ASC
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
        `t16`.`side`,
        `t16`.`event_uid`,
        `t16`.`pixel_id`,
        `t16`.`event_name`,
        `t16`.`event_id`,
        `t16`.`event_time`,
        `t16`.`order_id`,
        `t16`.`t0`,
        `t3`.`long_start`
      FROM (
        SELECT
          `t14`.`side`,
          `t14`.`event_uid`,
          `t14`.`pixel_id`,
          `t14`.`event_name`,
          `t14`.`event_id`,
          `t14`.`event_time`,
          `t14`.`order_id`,
          MIN(`t14`.`event_time`) OVER (
            PARTITION BY `t14`.`side`, `t14`.`pixel_id`, `t14`.`event_name`, `t14`.`event_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `t0`
        FROM (
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
                      `t1`.`pixel_id`,
                      `t1`.`event_id`
                    FROM `server_events` AS `t1`
                    WHERE
                      TRUE
                      AND `t1`.`event_time` >= DATETIME('2026-10-01T00:00:00')
                      AND `t1`.`event_time` < DATETIME('2026-11-01T00:00:00')
                      AND `t1`.`date` >= DATE(2026, 10, 1)
                      AND `t1`.`date` <= DATE(2026, 10, 31)
                      AND `t1`.`event_id` IS NOT NULL
                      AND REGEXP_CONTAINS(`t1`.`event_id`, '[^ ]')
                  ) AS `t5`
                ) AS `t11`
              ) AS `t13`
              WHERE
                `t9`.`pixel_id` IS NOT DISTINCT FROM `t13`.`pixel_id`
                AND `t9`.`event_id` = `t13`.`event_id`
            )
        ) AS `t14`
      ) AS `t16`
      LEFT OUTER JOIN `long_starts` AS `t3`
        ON `t16`.`side` = `t3`.`side` AND `t16`.`event_uid` = `t3`.`event_uid`
    ) AS `t17`
  ) AS `t18`
) AS `t19`
WHERE
  `t19`.`repeat`;
