-- Parse and validate staged price bars (SPEC §2); one reject reason per bad row.
-- reads: staged
WITH parsed AS (
    SELECT
        row_number,
        record_problem,
        nullif(trim(symbol), '') AS symbol,
        parse_ts(ts) AS ts,
        parse_number(open) AS open,
        parse_number(high) AS high,
        parse_number(low) AS low,
        parse_number(close) AS close,
        parse_number(volume) AS volume,
        ts AS ts_text,
        open AS open_text,
        high AS high_text,
        low AS low_text,
        close AS close_text,
        volume AS volume_text
    FROM staged
)

SELECT
    row_number,
    problem[1] AS reject_field,
    problem[2] AS reject_reason,
    symbol,
    ts,
    open,
    high,
    low,
    close,
    volume
FROM (
    SELECT
        *,
        CASE
            WHEN record_problem IS NOT NULL THEN ['record', record_problem]
            WHEN symbol IS NULL THEN ['symbol', 'missing']
            WHEN ts IS NULL THEN ['ts', if(is_blank(ts_text), 'missing', 'unparseable timestamp ' || ts_text)]
            WHEN coalesce(open <= 0, true) THEN ['open', if(is_blank(open_text), 'missing', 'must be a positive price, got ' || open_text)]
            WHEN coalesce(high <= 0, true) THEN ['high', if(is_blank(high_text), 'missing', 'must be a positive price, got ' || high_text)]
            WHEN coalesce(low <= 0, true) THEN ['low', if(is_blank(low_text), 'missing', 'must be a positive price, got ' || low_text)]
            WHEN coalesce(close <= 0, true) THEN ['close', if(is_blank(close_text), 'missing', 'must be a positive price, got ' || close_text)]
            WHEN coalesce(volume < 0, true) THEN ['volume', if(is_blank(volume_text), 'missing', 'must be a non-negative number, got ' || volume_text)]
        END AS problem
    FROM parsed
)
