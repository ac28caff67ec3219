"""Text classification of complaints: corpus, pipeline, training, model registry, prediction.

Knows nothing about the complaint workflow; complaints depends on it, never the reverse.
"""
