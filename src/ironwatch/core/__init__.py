"""The core process: sole owner of the store; dispatches WAL batches, commits results, serves."""
