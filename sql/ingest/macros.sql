-- Parsing rules of SPEC §2, shared by every input kind. A script of macro definitions.
-- reads: -

-- Epoch numbers above 10^11 are milliseconds, else seconds; fractions kept to the microsecond.
-- Anything else is ISO-8601; without an offset it is UTC (the session time zone is UTC). ISO
-- 8601 (RFC 3339) also allows a lowercase `t` separator and `z` zone, which DuckDB does not read.
CREATE OR REPLACE TEMP MACRO parse_ts(s) AS
    CASE
        WHEN s IS NULL OR trim(s) = '' THEN NULL
        WHEN regexp_full_match(trim(s), '[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?') THEN
            CASE
                -- past the timestamp range (year ~287000 in ms): unparseable, not an error
                WHEN abs(try_cast(trim(s) AS DECIMAL(38, 6))) >= 9e15 THEN NULL
                WHEN abs(try_cast(trim(s) AS DECIMAL(38, 6))) > 1e11
                    THEN make_timestamp(CAST(round(try_cast(trim(s) AS DECIMAL(38, 6)) * 1000) AS BIGINT))
                ELSE make_timestamp(CAST(round(try_cast(trim(s) AS DECIMAL(38, 6)) * 1000000) AS BIGINT))
            END
        WHEN contains(s, 't') OR contains(s, 'z') THEN CAST(try_cast(
            regexp_replace(regexp_replace(trim(s), '^([0-9]{4}-[0-9]{2}-[0-9]{2})t', '\1T'), 'z$', 'Z')
            AS TIMESTAMPTZ) AS TIMESTAMP)
        ELSE CAST(try_cast(trim(s) AS TIMESTAMPTZ) AS TIMESTAMP)
    END;

CREATE OR REPLACE TEMP MACRO parse_direction(s) AS
    CASE
        WHEN lower(trim(s)) IN ('long', 'buy', 'bullish', '1', '+1', '1.0') THEN 1
        WHEN lower(trim(s)) IN ('short', 'sell', 'bearish', '-1', '-1.0') THEN -1
    END;

-- The reject reason of a direction parse_direction does not know: the words it accepts.
CREATE OR REPLACE TEMP MACRO unknown_direction(s) AS
    'unknown direction ''' || s || ''': use long, short, buy, sell, bullish, bearish, 1 or -1';

-- A finite number, else NULL (NaN and infinities are not values a log should carry).
CREATE OR REPLACE TEMP MACRO parse_number(s) AS
    CASE
        WHEN isfinite(try_cast(trim(s) AS DOUBLE)) THEN try_cast(trim(s) AS DOUBLE)
    END;

CREATE OR REPLACE TEMP MACRO is_blank(s) AS s IS NULL OR trim(s) = '';

-- A JSON Lines line that is a record: a JSON object (false for other JSON and for non-JSON).
CREATE OR REPLACE TEMP MACRO is_json_object(s) AS
    coalesce(json_type(try_cast(s AS JSON)) = 'OBJECT', false);

-- Components: a JSON object of finite numbers. NULL when it is not one.
CREATE OR REPLACE TEMP MACRO parse_components(s) AS
    CASE
        WHEN json_valid(s) AND json_type(CAST(s AS JSON)) = 'OBJECT'
            AND list_bool_and(list_transform(
                map_values(try_cast(CAST(s AS JSON) AS MAP(VARCHAR, JSON))),
                lambda v: coalesce(
                    json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND isfinite(try_cast(v AS DOUBLE)),
                    false
                )
            )) IS NOT false
        THEN map_from_entries(list_sort(list_transform(
            map_entries(try_cast(CAST(s AS JSON) AS MAP(VARCHAR, JSON))),
            lambda e: {'key': e.key, 'value': CAST(e.value AS DOUBLE)}
        )))
    END;
