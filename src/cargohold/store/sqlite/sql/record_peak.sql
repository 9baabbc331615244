UPDATE jobs SET peak_memory = :peak WHERE id = :job_id
