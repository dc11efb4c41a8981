WITH `t5` AS (
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
  ) AS `t2`
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
  ) AS `t4`
)
SELECT
  `t7`.`side`,
  `t7`.`event_uid`,
  `t7`.`pixel_id`,
  `t7`.`event_name`,
  `t7`.`event_id`,
  `t7`.`event_time`
FROM `t5` AS `t7`
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
            `t6`.`pixel_id`,
            `t6`.`event_id`
          FROM `t5` AS `t6`
          WHERE
            TRUE
            AND `t6`.`event_time` >= DATETIME('2026-10-01T00:00:00')
            AND `t6`.`event_time` < DATETIME('2026-11-01T00:00:00')
        ) AS `t8`
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
        ) AS `t3`
      ) AS `t9`
    ) AS `t11`
    WHERE
      `t7`.`pixel_id` IS NOT DISTINCT FROM `t11`.`pixel_id`
      AND `t7`.`event_id` = `t11`.`event_id`
  )
  AND EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `t13`.`side`,
        `t13`.`pixel_id`,
        `t13`.`event_name`,
        `t13`.`event_id`
      FROM (
        SELECT
          `t12`.`side`,
          `t12`.`pixel_id`,
          `t12`.`event_name`,
          `t12`.`event_id`,
          COUNT(*) AS `n`,
          MIN(`t12`.`event_time`) AS `t0`,
          MAX(`t12`.`event_time`) AS `t1`,
          MIN(`t12`.`order_id`) <> MAX(`t12`.`order_id`) AS `orders`
        FROM (
          SELECT
            `t7`.`side`,
            `t7`.`event_uid`,
            `t7`.`pixel_id`,
            `t7`.`event_name`,
            `t7`.`event_id`,
            `t7`.`event_time`,
            `t7`.`order_id`
          FROM `t5` AS `t7`
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
                      `t6`.`pixel_id`,
                      `t6`.`event_id`
                    FROM `t5` AS `t6`
                    WHERE
                      TRUE
                      AND `t6`.`event_time` >= DATETIME('2026-10-01T00:00:00')
                      AND `t6`.`event_time` < DATETIME('2026-11-01T00:00:00')
                  ) AS `t8`
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
                  ) AS `t3`
                ) AS `t9`
              ) AS `t11`
              WHERE
                `t7`.`pixel_id` IS NOT DISTINCT FROM `t11`.`pixel_id`
                AND `t7`.`event_id` = `t11`.`event_id`
            )
        ) AS `t12`
        GROUP BY
          1,
          2,
          3,
          4
      ) AS `t13`
      WHERE
        `t13`.`t1` > TIMESTAMP_ADD(`t13`.`t0`, INTERVAL '48' HOUR)
    ) AS `t15`
    WHERE
      `t7`.`side` = `t15`.`side`
      AND `t7`.`pixel_id` IS NOT DISTINCT FROM `t15`.`pixel_id`
      AND `t7`.`event_name` = `t15`.`event_name`
      AND `t7`.`event_id` = `t15`.`event_id`
  );
