"""Real infrastructure for tests: a PostgreSQL server and a Kafka-protocol broker process."""
