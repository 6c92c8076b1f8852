"""What the processes tell operators: the log context, the log filters and the metrics.

Beneath every app: it imports nothing of the project, so the API client, the pipeline and the
middleware can all use it.
"""
