"""npscli: close the loop on patient feedback (NPS) for clinics."""

__version__ = "0.1.0"
