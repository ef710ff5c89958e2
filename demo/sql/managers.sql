-- The managers of SC $sc, whom the mass assignment deals leads to.
SELECT manager_id FROM managers WHERE sc_id = $sc ORDER BY manager_id
