SELECT last_slot FROM periodic WHERE name = %(name)s FOR UPDATE
