-- Offers past their time: their workers stopped renewing them (they died).
DELETE FROM offers WHERE expires_at < :now
