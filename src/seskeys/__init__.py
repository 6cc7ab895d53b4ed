"""seskeys: keep Amazon SES access keys safe."""

__version__ = "0.1.0"
