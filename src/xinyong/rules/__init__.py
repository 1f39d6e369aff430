"""Pure rules: listings from records, decisions from listings and measures. No I/O."""
