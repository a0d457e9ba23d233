"""The framework core: flows, their loader and validator, input kinds, the runtime."""
