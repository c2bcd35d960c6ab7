"""aiokafka producer, topic admin and the consumer runner."""
