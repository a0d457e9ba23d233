"""pasar-daring: a messenger-agnostic bot framework with YAML flows, and the market ordering app."""
