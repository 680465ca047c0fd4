"""KetaWatch: ketamine, esketamine and arketamine research in psychiatry, one record per study."""

__version__ = "0.1.0"
