-- Reverses V6: forgets the rate-limit counters.
DROP TABLE IF EXISTS rate_counters;
