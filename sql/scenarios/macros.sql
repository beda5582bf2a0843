-- Time arithmetic and price status rules shared by every scenario (SPEC §3, §4).
-- A script: the engine defines these macros once per run (Spark expands them in place).
-- reads: -

-- Minutes (possibly fractional: a learned delay of 0.5 min is 30 s) as an interval; DOUBLE so
-- that an integer setting such as 200000 min cannot overflow INTEGER on its way to µs.
CREATE OR REPLACE TEMP MACRO minutes(m) AS to_microseconds(CAST(round(CAST(m AS DOUBLE) * 60000000) AS BIGINT));

-- Status of one price lookup at t: pending is decided first (no bar of the symbol is available
-- at or after t yet), then stale (the bar found is older than t - max_staleness, or none).
CREATE OR REPLACE TEMP MACRO leg_status(t, bar_available_at, symbol_last_available, max_staleness_min) AS
    CASE
        WHEN symbol_last_available IS NULL OR symbol_last_available < t THEN 'pending'
        WHEN bar_available_at IS NULL OR bar_available_at < t - minutes(max_staleness_min) THEN 'stale'
        ELSE 'ok'
    END;

-- Pending wins over stale (SPEC §4).
CREATE OR REPLACE TEMP MACRO outcome_status(entry_status, exit_status) AS
    CASE
        WHEN 'pending' IN (entry_status, exit_status) THEN 'pending'
        WHEN 'stale' IN (entry_status, exit_status) THEN 'stale'
        ELSE 'ok'
    END;
