-- Every SC's managers in order: the simulated SC work gives each its own pace.
SELECT manager_id, sc_id FROM managers ORDER BY sc_id, manager_id
