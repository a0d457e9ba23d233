"""Small apps on the pasar-daring engine, each run with its own config.yaml."""
