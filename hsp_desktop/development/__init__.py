"""development package."""
