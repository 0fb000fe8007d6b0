"""The campaign's data and its rules: models, the store, posts, deliveries, channels, validation."""
