SELECT
  `t1`.`pixel_id`,
  `t1`.`event_name`,
  `t1`.`bucket`,
  `t1`.`invalid`,
  `t1`.`mask`,
  `t1`.`present`,
  COUNT(*) AS `n`
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
    `t0`.`em_plain`,
    `t0`.`ph_plain`,
    `t0`.`fn_plain`,
    `t0`.`ln_plain`,
    `t0`.`ge_plain`,
    `t0`.`db_plain`,
    `t0`.`ct_plain`,
    `t0`.`st_plain`,
    `t0`.`zp_plain`,
    `t0`.`country_plain`,
    `t0`.`fbc`,
    `t0`.`fbp`,
    `t0`.`client_ip_address`,
    `t0`.`client_user_agent`,
    `t0`.`sent_at`,
    `t0`.`event_time_unit`,
    `t0`.`event_source_url`,
    `t0`.`value`,
    `t0`.`currency`,
    `t0`.`error_code`,
    `t0`.`date`,
    DATE_TRUNC('hour', `t0`.`event_time`) + CAST(CONCAT(
      CAST(FLOOR((
        EXTRACT(minute FROM `t0`.`event_time`)
      ) / (
        15
      )) AS BIGINT) * 15,
      ' minutes'
    ) AS INTERVAL) AS `bucket`,
    FALSE
    OR NOT (
      `t0`.`em_p`
      OR `t0`.`ph_p`
      OR `t0`.`fn_p`
      OR `t0`.`ln_p`
      OR `t0`.`db_p`
      OR `t0`.`external_id_p`
      OR `t0`.`client_ip_address_p`
      OR `t0`.`fbc_p`
      OR `t0`.`fbp_p`
    )
    OR NOT (
      `t0`.`em_p`
      OR `t0`.`ph_p`
      OR `t0`.`fn_p`
      OR `t0`.`ln_p`
      OR `t0`.`ge_p`
      OR `t0`.`ct_p`
      OR `t0`.`st_p`
      OR `t0`.`zp_p`
      OR `t0`.`country_p`
      OR `t0`.`external_id_p`
      OR `t0`.`client_ip_address_p`
      OR `t0`.`fbc_p`
      OR `t0`.`fbp_p`
    )
    OR NOT (
      `t0`.`em_p`
      OR `t0`.`ph_p`
      OR `t0`.`ln_p`
      OR `t0`.`db_p`
      OR `t0`.`ct_p`
      OR `t0`.`st_p`
      OR `t0`.`zp_p`
      OR `t0`.`country_p`
      OR `t0`.`external_id_p`
      OR `t0`.`client_ip_address_p`
      OR `t0`.`client_user_agent_p`
      OR `t0`.`fbc_p`
      OR `t0`.`fbp_p`
    )
    OR NOT (
      `t0`.`em_p`
      OR `t0`.`ph_p`
      OR `t0`.`fn_p`
      OR `t0`.`db_p`
      OR `t0`.`ct_p`
      OR `t0`.`st_p`
      OR `t0`.`zp_p`
      OR `t0`.`country_p`
      OR `t0`.`external_id_p`
      OR `t0`.`client_ip_address_p`
      OR `t0`.`client_user_agent_p`
      OR `t0`.`fbc_p`
      OR `t0`.`fbp_p`
    ) AS `invalid`,
    CAST(0 + (
      CAST(`t0`.`em_v` AS INT) * 1
    ) + (
      CAST(`t0`.`ph_v` AS INT) * 2
    ) + (
      CAST(`t0`.`fn_v` AS INT) * 4
    ) + (
      CAST(`t0`.`ln_v` AS INT) * 8
    ) + (
      CAST(`t0`.`ge_v` AS INT) * 16
    ) + (
      CAST(`t0`.`db_v` AS INT) * 32
    ) + (
      CAST(`t0`.`ct_v` AS INT) * 64
    ) + (
      CAST(`t0`.`st_v` AS INT) * 128
    ) + (
      CAST(`t0`.`zp_v` AS INT) * 256
    ) + (
      CAST(`t0`.`country_v` AS INT) * 512
    ) + (
      CAST(`t0`.`external_id_v` AS INT) * 1024
    ) + (
      CAST(`t0`.`client_ip_address_v` AS INT) * 2048
    ) + (
      CAST(`t0`.`client_user_agent_v` AS INT) * 4096
    ) + (
      CAST(`t0`.`fbc_v` AS INT) * 8192
    ) + (
      CAST(`t0`.`fbp_v` AS INT) * 16384
    ) AS INT) AS `mask`,
    CAST(0 + (
      CAST(`t0`.`em_p` AS INT) * 1
    ) + (
      CAST(`t0`.`ph_p` AS INT) * 2
    ) + (
      CAST(`t0`.`fn_p` AS INT) * 4
    ) + (
      CAST(`t0`.`ln_p` AS INT) * 8
    ) + (
      CAST(`t0`.`ge_p` AS INT) * 16
    ) + (
      CAST(`t0`.`db_p` AS INT) * 32
    ) + (
      CAST(`t0`.`ct_p` AS INT) * 64
    ) + (
      CAST(`t0`.`st_p` AS INT) * 128
    ) + (
      CAST(`t0`.`zp_p` AS INT) * 256
    ) + (
      CAST(`t0`.`country_p` AS INT) * 512
    ) + (
      CAST(`t0`.`external_id_p` AS INT) * 1024
    ) + (
      CAST(`t0`.`client_ip_address_p` AS INT) * 2048
    ) + (
      CAST(`t0`.`client_user_agent_p` AS INT) * 4096
    ) + (
      CAST(`t0`.`fbc_p` AS INT) * 8192
    ) + (
      CAST(`t0`.`fbp_p` AS INT) * 16384
    ) AS INT) AS `present`
  FROM `server_events` AS `t0`
  WHERE
    TRUE
    AND `t0`.`event_time` >= CAST('2026-10-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`event_time` < CAST('2026-11-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`date` >= MAKE_DATE(2026, 10, 1)
    AND `t0`.`date` <= MAKE_DATE(2026, 10, 31)
    AND NOT (
      `t0`.`rejected`
    )
    AND `t0`.`test_event_code` IS NULL
    AND `t0`.`action_source` = 'website'
) AS `t1`
GROUP BY
  1,
  2,
  3,
  4,
  5,
  6;
