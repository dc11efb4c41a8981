WITH `t4` AS (
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
  ) AS `t3`
)
SELECT
  `t6`.`side`,
  `t6`.`event_uid`,
  `t6`.`pixel_id`,
  `t6`.`event_name`,
  `t6`.`event_id`,
  `t6`.`event_time`
FROM `t4` AS `t6`
WHERE
  EXISTS(
    SELECT
      1
    FROM (
      SELECT DISTINCT
        `t5`.`pixel_id`,
        `t5`.`event_id`
      FROM `t4` AS `t5`
      WHERE
        TRUE
        AND `t5`.`event_time` >= DATETIME('2026-10-01T00:00:00')
        AND `t5`.`event_time` < DATETIME('2026-11-01T00:00:00')
    ) AS `t8`
    WHERE
      `t6`.`pixel_id` IS NOT DISTINCT FROM `t8`.`pixel_id`
      AND `t6`.`event_id` = `t8`.`event_id`
  )
  AND EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `t10`.`side`,
        `t10`.`pixel_id`,
        `t10`.`event_name`,
        `t10`.`event_id`
      FROM (
        SELECT
          `t9`.`side`,
          `t9`.`pixel_id`,
          `t9`.`event_name`,
          `t9`.`event_id`,
          COUNT(*) AS `n`,
          MIN(`t9`.`event_time`) AS `t0`,
          MAX(`t9`.`event_time`) AS `t1`,
          MIN(`t9`.`order_id`) <> MAX(`t9`.`order_id`) AS `orders`
        FROM (
          SELECT
            `t6`.`side`,
            `t6`.`event_uid`,
            `t6`.`pixel_id`,
            `t6`.`event_name`,
            `t6`.`event_id`,
            `t6`.`event_time`,
            `t6`.`order_id`
          FROM `t4` AS `t6`
          WHERE
            EXISTS(
              SELECT
                1
              FROM (
                SELECT DISTINCT
                  `t5`.`pixel_id`,
                  `t5`.`event_id`
                FROM `t4` AS `t5`
                WHERE
                  TRUE
                  AND `t5`.`event_time` >= DATETIME('2026-10-01T00:00:00')
                  AND `t5`.`event_time` < DATETIME('2026-11-01T00:00:00')
              ) AS `t8`
              WHERE
                `t6`.`pixel_id` IS NOT DISTINCT FROM `t8`.`pixel_id`
                AND `t6`.`event_id` = `t8`.`event_id`
            )
        ) AS `t9`
        GROUP BY
          1,
          2,
          3,
          4
      ) AS `t10`
      WHERE
        `t10`.`t1` > TIMESTAMP_ADD(`t10`.`t0`, INTERVAL '48' HOUR)
    ) AS `t12`
    WHERE
      `t6`.`side` = `t12`.`side`
      AND `t6`.`pixel_id` IS NOT DISTINCT FROM `t12`.`pixel_id`
      AND `t6`.`event_name` = `t12`.`event_name`
      AND `t6`.`event_id` = `t12`.`event_id`
  );
