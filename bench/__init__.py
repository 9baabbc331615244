"""The benchmark harness: cargohold and its peers, same task, same method, same machine."""
