"""Journey monitoring: signals, timers and sentiment."""
