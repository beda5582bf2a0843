-- SPEC §19: the kinds the published version holds at their static setting (the evaluation
-- guard), with the note that says why: what the bot is given now.
-- reads: latest.learned_state
SELECT kind, min(note) AS note
FROM latest.learned_state
WHERE starts_with(note, 'held: ')
GROUP BY kind
ORDER BY kind
