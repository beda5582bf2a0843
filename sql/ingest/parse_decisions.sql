-- Parse and validate staged decision rows (SPEC §2); one reject reason per bad row, first field first.
-- $kind: 'executed' (trades file) or 'blocked'.
-- reads: staged
WITH parsed AS (
    SELECT
        row_number,
        record_problem,
        nullif(trim(decision_id), '') AS decision_id,
        parse_ts(ts) AS ts,
        nullif(trim(symbol), '') AS symbol,
        parse_direction(direction) AS direction,
        parse_number(entry_score) AS entry_score,
        parse_components(components) AS parsed_components,
        parse_number(notional) AS notional,
        parse_ts(entry_ts) AS entry_ts,
        parse_number(entry_price) AS entry_price,
        parse_ts(exit_ts) AS exit_ts,
        parse_number(exit_price) AS exit_price,
        parse_number(qty) AS qty,
        coalesce(parse_number(fees), 0.0) AS fees,
        parse_number(pnl) AS pnl,
        nullif(trim(reason), '') AS reason,
        parse_number(price) AS price,
        -- the raw text, to say what was wrong with it
        ts AS ts_text,
        direction AS direction_text,
        entry_score AS entry_score_text,
        components AS components_text,
        notional AS notional_text,
        entry_ts AS entry_ts_text,
        entry_price AS entry_price_text,
        exit_ts AS exit_ts_text,
        exit_price AS exit_price_text,
        qty AS qty_text,
        fees AS fees_text,
        pnl AS pnl_text,
        price AS price_text
    FROM staged
),

checked AS (
    SELECT
        *,
        CASE
            WHEN record_problem IS NOT NULL THEN ['record', record_problem]
            WHEN ts IS NULL THEN ['ts', if(is_blank(ts_text), 'missing', 'unparseable timestamp ' || ts_text)]
            WHEN symbol IS NULL THEN ['symbol', 'missing']
            WHEN direction IS NULL THEN ['direction', if(is_blank(direction_text), 'missing', unknown_direction(direction_text))]
            WHEN entry_score IS NULL THEN ['entry_score', if(is_blank(entry_score_text), 'missing', 'not a number: ' || entry_score_text)]
            WHEN parsed_components IS NULL THEN ['components', if(is_blank(components_text), 'missing', 'not a JSON object of numbers: ' || components_text)]
            WHEN list_bool_or(list_transform(map_keys(parsed_components), lambda k: is_blank(k))) THEN ['components', 'a component name is empty: ' || components_text]
            WHEN NOT is_blank(notional_text) AND coalesce(notional <= 0, true) THEN ['notional', 'must be a positive number, got ' || notional_text]
            WHEN $kind = 'executed' AND entry_ts IS NULL THEN ['entry_ts', if(is_blank(entry_ts_text), 'missing', 'unparseable timestamp ' || entry_ts_text)]
            WHEN $kind = 'executed' AND coalesce(entry_price <= 0, true) THEN ['entry_price', if(is_blank(entry_price_text), 'missing', 'must be a positive price, got ' || entry_price_text)]
            WHEN $kind = 'executed' AND coalesce(qty <= 0, true) THEN ['qty', if(is_blank(qty_text), 'missing', 'must be a positive quantity, got ' || qty_text)]
            WHEN $kind = 'executed' AND NOT is_blank(exit_ts_text) AND exit_ts IS NULL THEN ['exit_ts', 'unparseable timestamp ' || exit_ts_text]
            WHEN $kind = 'executed' AND NOT is_blank(exit_price_text) AND coalesce(exit_price <= 0, true) THEN ['exit_price', 'must be a positive price, got ' || exit_price_text]
            WHEN $kind = 'executed' AND NOT is_blank(fees_text) AND parse_number(fees_text) IS NULL THEN ['fees', 'not a number: ' || fees_text]
            WHEN $kind = 'executed' AND NOT is_blank(pnl_text) AND pnl IS NULL THEN ['pnl', 'not a number: ' || pnl_text]
            WHEN $kind = 'blocked' AND reason IS NULL THEN ['reason', 'missing']
            WHEN $kind = 'blocked' AND NOT is_blank(price_text) AND coalesce(price <= 0, true) THEN ['price', 'must be a positive price, got ' || price_text]
        END AS problem
    FROM parsed
)

SELECT
    row_number,
    problem[1] AS reject_field,
    problem[2] AS reject_reason,
    decision_id,
    $kind AS kind,
    ts,
    symbol,
    CAST(direction AS TINYINT) AS direction,
    entry_score,
    parsed_components AS components,
    notional,
    if($kind = 'executed', entry_ts, NULL) AS entry_ts,
    if($kind = 'executed', entry_price, NULL) AS entry_price,
    if($kind = 'executed', exit_ts, NULL) AS exit_ts,
    if($kind = 'executed', exit_price, NULL) AS exit_price,
    if($kind = 'executed', qty, NULL) AS qty,
    if($kind = 'executed', fees, NULL) AS fees,
    if($kind = 'executed', pnl, NULL) AS pnl,
    if($kind = 'blocked', reason, NULL) AS reason,
    if($kind = 'blocked', price, NULL) AS price,
    -- identity of the content, for duplicate detection and for ids the bot did not log
    md5(concat_ws('|',
        $kind, strftime(ts, '%Y-%m-%dT%H:%M:%S.%f'), symbol, direction, entry_score,
        to_json(parsed_components), notional, entry_ts, entry_price, exit_ts, exit_price,
        qty, fees, pnl, reason, price
    )) AS content_hash
FROM checked
