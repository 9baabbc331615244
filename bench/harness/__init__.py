"""The harness side: runs in the repo's interpreter, owns every process and scratch store."""
