"""Memory: how much the host lets jobs use, how much each job takes, and keeping to it."""
