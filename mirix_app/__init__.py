"""mirix-app: the desktop layer (Qt) and the command line, over agents/."""

__version__ = "0.1.0"
