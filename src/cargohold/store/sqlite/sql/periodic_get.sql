SELECT last_slot FROM periodic WHERE name = :name
