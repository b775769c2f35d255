"""Search over the store (this release: ``field:value`` terms and free text, ANDed)."""
