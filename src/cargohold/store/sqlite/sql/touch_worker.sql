UPDATE workers SET last_seen = :now WHERE id = :id
