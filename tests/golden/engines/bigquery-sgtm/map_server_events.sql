SELECT
  `t1`.`event_uid`,
  `t1`.`pixel_id`,
  `t1`.`event_name`,
  `t1`.`event_id`,
  `t1`.`event_time`,
  `t1`.`order_id`,
  `t1`.`rejected`,
  `t1`.`test_event_code`,
  `t1`.`action_source`,
  `t1`.`opt_out`,
  `t1`.`ldu`,
  `t1`.`em` IS NOT NULL AS `em_p`,
  (
    `t1`.`em` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`em`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`em`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `em_v`,
  `t1`.`ph` IS NOT NULL AS `ph_p`,
  (
    `t1`.`ph` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`ph`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`ph`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `ph_v`,
  `t1`.`fn` IS NOT NULL AS `fn_p`,
  (
    `t1`.`fn` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`fn`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`fn`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `fn_v`,
  `t1`.`ln` IS NOT NULL AS `ln_p`,
  (
    `t1`.`ln` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`ln`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`ln`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `ln_v`,
  `t1`.`ge` IS NOT NULL AS `ge_p`,
  (
    `t1`.`ge` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`ge`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`ge`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `ge_v`,
  `t1`.`db` IS NOT NULL AS `db_p`,
  (
    `t1`.`db` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`db`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`db`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `db_v`,
  `t1`.`ct` IS NOT NULL AS `ct_p`,
  (
    `t1`.`ct` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`ct`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`ct`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `ct_v`,
  `t1`.`st` IS NOT NULL AS `st_p`,
  (
    `t1`.`st` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`st`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`st`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `st_v`,
  `t1`.`zp` IS NOT NULL AS `zp_p`,
  (
    `t1`.`zp` IS NOT NULL
  )
  AND (
    COALESCE(REGEXP_CONTAINS(`t1`.`zp`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'), FALSE)
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`zp`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `zp_v`,
  `t1`.`country` IS NOT NULL AS `country_p`,
  (
    `t1`.`country` IS NOT NULL
  )
  AND (
    COALESCE(
      REGEXP_CONTAINS(`t1`.`country`, '^(?:[0-9a-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
      FALSE
    )
    OR NOT (
      COALESCE(
        REGEXP_CONTAINS(`t1`.`country`, '^(?:[0-9A-Fa-f]{64}(?:\\.[A-Za-z0-9_-]{2,8})?)$'),
        FALSE
      )
    )
  ) AS `country_v`,
  `t1`.`external_id` IS NOT NULL AS `external_id_p`,
  `t1`.`external_id` IS NOT NULL AS `external_id_v`,
  `t1`.`client_ip_address` IS NOT NULL AS `client_ip_address_p`,
  COALESCE(
    REGEXP_CONTAINS(
      `t1`.`client_ip_address`,
      '^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}|(?:(?:[0-9A-Fa-f]{1,4}:){6}(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|::(?:[0-9A-Fa-f]{1,4}:){5}(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|(?:[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}:){4}(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|(?:(?:[0-9A-Fa-f]{1,4}:){0,1}[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}:){3}(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|(?:(?:[0-9A-Fa-f]{1,4}:){0,2}[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}:){2}(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|(?:(?:[0-9A-Fa-f]{1,4}:){0,3}[0-9A-Fa-f]{1,4})?::[0-9A-Fa-f]{1,4}:(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|(?:(?:[0-9A-Fa-f]{1,4}:){0,4}[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})|(?:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4})?::[0-9A-Fa-f]{1,4}|(?:(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?::))$'
    ),
    FALSE
  ) AS `client_ip_address_v`,
  `t1`.`client_user_agent` IS NOT NULL AS `client_user_agent_p`,
  (
    `t1`.`client_user_agent` IS NOT NULL
  )
  AND NOT (
    INSTR(`t1`.`client_user_agent`, '\n') > 0
  ) AS `client_user_agent_v`,
  `t1`.`fbc` IS NOT NULL AS `fbc_p`,
  COALESCE(
    REGEXP_CONTAINS(
      `t1`.`fbc`,
      '^(?:fb\\.[0-9]\\.[0-9]{13}\\.[^.\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0  -     　][^\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0  -     　]*)$'
    ),
    FALSE
  ) AS `fbc_v`,
  `t1`.`fbp` IS NOT NULL AS `fbp_p`,
  COALESCE(
    REGEXP_CONTAINS(
      `t1`.`fbp`,
      '^(?:fb\\.[0-9]\\.[0-9]{13}\\.[^.\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0  -     　][^\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0  -     　]*)$'
    ),
    FALSE
  ) AS `fbp_v`,
  FALSE AS `em_plain`,
  FALSE AS `ph_plain`,
  FALSE AS `fn_plain`,
  FALSE AS `ln_plain`,
  FALSE AS `ge_plain`,
  FALSE AS `db_plain`,
  FALSE AS `ct_plain`,
  FALSE AS `st_plain`,
  FALSE AS `zp_plain`,
  FALSE AS `country_plain`,
  `t1`.`fbc`,
  `t1`.`fbp`,
  `t1`.`client_ip_address`,
  `t1`.`client_user_agent`,
  `t1`.`sent_at`,
  `t1`.`event_time_unit`,
  `t1`.`event_source_url`,
  `t1`.`value`,
  `t1`.`currency`,
  `t1`.`error_code`
FROM (
  SELECT
    CASE `t0`.`event_name`
      WHEN 'purchase'
      THEN 'Purchase'
      WHEN 'add_to_cart'
      THEN 'AddToCart'
      WHEN 'begin_checkout'
      THEN 'InitiateCheckout'
      WHEN 'add_payment_info'
      THEN 'AddPaymentInfo'
      WHEN 'add_to_wishlist'
      THEN 'AddToWishlist'
      WHEN 'view_item'
      THEN 'ViewContent'
      WHEN 'page_view'
      THEN 'PageView'
      WHEN 'gtm.dom'
      THEN 'PageView'
      WHEN 'generate_lead'
      THEN 'Lead'
      WHEN 'sign_up'
      THEN 'CompleteRegistration'
      WHEN 'search'
      THEN 'Search'
      WHEN 'view_search_results'
      THEN 'Search'
      ELSE `t0`.`event_name`
    END AS `event_name`,
    TIMESTAMP_ADD(
      DATETIME('1970-01-01T00:00:00'),
      INTERVAL (CAST(ROUND(CAST(`t0`.`timestamp` AS FLOAT64) * 1000, 0) AS INT64)) MICROSECOND
    ) AS `event_time`,
    TIMESTAMP_ADD(
      DATETIME('1970-01-01T00:00:00'),
      INTERVAL (CAST(ROUND(CAST(`t0`.`timestamp` AS FLOAT64) * 1000, 0) AS INT64)) MICROSECOND
    ) AS `sent_at`,
    NULLIF(
      IF(
        ARRAY_LENGTH(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'event_id'
            )) AS __ibis_param_p__
          )
        ) > 0,
        ARRAY_TO_STRING(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'event_id'
            )) AS __ibis_param_p__
          ),
          ''
        ),
        NULL
      ),
      ''
    ) AS `event_id`,
    NULLIF(
      IF(
        ARRAY_LENGTH(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'page_location'
            )) AS __ibis_param_p__
          )
        ) > 0,
        ARRAY_TO_STRING(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'page_location'
            )) AS __ibis_param_p__
          ),
          ''
        ),
        NULL
      ),
      ''
    ) AS `event_source_url`,
    COALESCE(
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'action_source'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'action_source'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      'website'
    ) AS `action_source`,
    NULLIF(
      IF(
        ARRAY_LENGTH(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'transaction_id'
            )) AS __ibis_param_p__
          )
        ) > 0,
        ARRAY_TO_STRING(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'transaction_id'
            )) AS __ibis_param_p__
          ),
          ''
        ),
        NULL
      ),
      ''
    ) AS `order_id`,
    SAFE_CAST(NULLIF(
      IF(
        ARRAY_LENGTH(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'value'
            )) AS __ibis_param_p__
          )
        ) > 0,
        ARRAY_TO_STRING(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'value'
            )) AS __ibis_param_p__
          ),
          ''
        ),
        NULL
      ),
      ''
    ) AS FLOAT64) AS `value`,
    UPPER(
      TRIM(
        NULLIF(
          IF(
            ARRAY_LENGTH(
              ARRAY(
                SELECT
                  COALESCE(
                    __ibis_param_p__.`value`.`string_value`,
                    CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                    CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                    ''
                  )
                FROM UNNEST(ARRAY(
                  SELECT
                    __ibis_param_p__
                  FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                  WHERE
                    __ibis_param_p__.`key` = 'currency'
                )) AS __ibis_param_p__
              )
            ) > 0,
            ARRAY_TO_STRING(
              ARRAY(
                SELECT
                  COALESCE(
                    __ibis_param_p__.`value`.`string_value`,
                    CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                    CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                    ''
                  )
                FROM UNNEST(ARRAY(
                  SELECT
                    __ibis_param_p__
                  FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                  WHERE
                    __ibis_param_p__.`key` = 'currency'
                )) AS __ibis_param_p__
              ),
              ''
            ),
            NULL
          ),
          ''
        ),
        ' \t\n\r\v\f'
      )
    ) AS `currency`,
    NULLIF(
      IF(
        ARRAY_LENGTH(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'test_event_code'
            )) AS __ibis_param_p__
          )
        ) > 0,
        ARRAY_TO_STRING(
          ARRAY(
            SELECT
              COALESCE(
                __ibis_param_p__.`value`.`string_value`,
                CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                ''
              )
            FROM UNNEST(ARRAY(
              SELECT
                __ibis_param_p__
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
              WHERE
                __ibis_param_p__.`key` = 'test_event_code'
            )) AS __ibis_param_p__
          ),
          ''
        ),
        NULL
      ),
      ''
    ) AS `test_event_code`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'ip_override'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'ip_override'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'ip_override'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'ip_override'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `client_ip_address`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'user_agent'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'user_agent'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'user_agent'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'user_agent'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `client_user_agent`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ck-fbp'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ck-fbp'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ck-fbp'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ck-fbp'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `fbp`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ck-fbc'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ck-fbc'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ck-fbc'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ck-fbc'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `fbc`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-em'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-em'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-em'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-em'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `em`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ph'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ph'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ph'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ph'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `ph`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-fn'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-fn'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-fn'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-fn'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `fn`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ln'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ln'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ln'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ln'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `ln`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ge'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ge'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ge'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ge'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `ge`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-db'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-db'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-db'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-db'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `db`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ct'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-ct'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ct'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-ct'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `ct`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-st'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-st'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-st'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-st'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `st`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-zp'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-zp'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-zp'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-zp'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `zp`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-country'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-country'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-country'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-country'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `country`,
    IF(
      COALESCE(
        REGEXP_CONTAINS(
          NULLIF(
            IF(
              ARRAY_LENGTH(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-external_id'
                  )) AS __ibis_param_p__
                )
              ) > 0,
              ARRAY_TO_STRING(
                ARRAY(
                  SELECT
                    COALESCE(
                      __ibis_param_p__.`value`.`string_value`,
                      CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                      CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                      ''
                    )
                  FROM UNNEST(ARRAY(
                    SELECT
                      __ibis_param_p__
                    FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                    WHERE
                      __ibis_param_p__.`key` = 'x-fb-ud-external_id'
                  )) AS __ibis_param_p__
                ),
                ''
              ),
              NULL
            ),
            ''
          ),
          '[^ ]'
        ),
        FALSE
      ),
      NULLIF(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-external_id'
              )) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                COALESCE(
                  __ibis_param_p__.`value`.`string_value`,
                  CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                  CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                  ''
                )
              FROM UNNEST(ARRAY(
                SELECT
                  __ibis_param_p__
                FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
                WHERE
                  __ibis_param_p__.`key` = 'x-fb-ud-external_id'
              )) AS __ibis_param_p__
            ),
            ''
          ),
          NULL
        ),
        ''
      ),
      CAST(NULL AS STRING)
    ) AS `external_id`,
    '123' AS `pixel_id`,
    CAST(NULL AS STRING) AS `event_time_unit`,
    FALSE AS `rejected`,
    CAST(NULL AS INT64) AS `error_code`,
    FALSE AS `opt_out`,
    FALSE AS `ldu`,
    CONCAT(
      CONCAT(
        CONCAT(
          CONCAT(
            CONCAT(
              CONCAT(COALESCE(`t0`.`event_name`, ''), '\x1f'),
              COALESCE(CAST(`t0`.`timestamp` AS STRING), '')
            ),
            '\x1f'
          ),
          COALESCE(CAST(`t0`.`timestamp` AS STRING), '')
        ),
        '\x1f'
      ),
      COALESCE(
        IF(
          ARRAY_LENGTH(
            ARRAY(
              SELECT
                CONCAT(
                  CONCAT(COALESCE(__ibis_param_p__.`key`, ''), '='),
                  COALESCE(
                    __ibis_param_p__.`value`.`string_value`,
                    CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                    CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                    ''
                  )
                )
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
            )
          ) > 0,
          ARRAY_TO_STRING(
            ARRAY(
              SELECT
                CONCAT(
                  CONCAT(COALESCE(__ibis_param_p__.`key`, ''), '='),
                  COALESCE(
                    __ibis_param_p__.`value`.`string_value`,
                    CAST(__ibis_param_p__.`value`.`int_value` AS STRING),
                    CAST(__ibis_param_p__.`value`.`float_value` AS STRING),
                    ''
                  )
                )
              FROM UNNEST(`t0`.`event_params`) AS __ibis_param_p__
            ),
            '\x1e'
          ),
          NULL
        ),
        ''
      )
    ) AS `event_uid`
  FROM `sgtm`.`events` AS `t0`
) AS `t1`;
