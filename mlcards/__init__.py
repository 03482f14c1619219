"""mlcards: a folder of YAML model metadata in, a model-registry website out."""

__version__ = "0.1.0"
