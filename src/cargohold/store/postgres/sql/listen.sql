LISTEN cargohold
